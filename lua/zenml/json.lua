--- A small JSON encoder for `--json` output and cache keys: deterministic
--- (object keys sorted), arrays for tables with keys 1..n, `{}` for an empty
--- table. json.encode runs in C (src/bind/bind_json.c), json.encode_lua is
--- the same encoder in Lua.
local json = {}

local escapes = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}

local function quote(s)
  if not s:find('[%c"\\]') then return '"' .. s .. '"' end
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or ("\\u%04x"):format(c:byte())
  end) .. '"'
end

local array_mt = { __jsonarray = true }

--- Mark `t` as a JSON array, so that it encodes as `[]` when empty.
---@param t table
---@return table t
function json.array(t)
  return setmetatable(t or {}, array_mt)
end

local function is_array(t)
  local n = #t
  if getmetatable(t) == array_mt then return true end
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

local encode

local function encode_table(t, out, seen)
  if seen[t] then error("json: cannot encode a table that contains itself", 0) end
  seen[t] = true
  if is_array(t) then
    out[#out + 1] = "["
    for i = 1, #t do
      if i > 1 then out[#out + 1] = "," end
      encode(t[i], out, seen)
    end
    out[#out + 1] = "]"
  else
    local keys = {}
    for k in pairs(t) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    out[#out + 1] = "{"
    for i, k in ipairs(keys) do
      if i > 1 then out[#out + 1] = "," end
      out[#out + 1] = quote(k)
      out[#out + 1] = ":"
      local v = t[k]
      if v == nil then v = t[tonumber(k)] end
      encode(v, out, seen)
    end
    out[#out + 1] = "}"
  end
  seen[t] = nil
end

encode = function(v, out, seen)
  local tv = type(v)
  if tv == "string" then
    out[#out + 1] = quote(v)
  elseif tv == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      out[#out + 1] = "null"
    elseif math.type(v) == "integer" then
      out[#out + 1] = tostring(v)
    else
      out[#out + 1] = ("%.17g"):format(v)
    end
  elseif tv == "boolean" then
    out[#out + 1] = tostring(v)
  elseif tv == "table" then
    local mt = getmetatable(v)
    if mt and mt.__json then
      encode(mt.__json(v), out, seen)
    else
      encode_table(v, out, seen)
    end
  elseif v == nil then
    out[#out + 1] = "null"
  else
    out[#out + 1] = quote(tostring(v))
  end
end

--- The encoder above, in Lua: the reference the C encoder matches byte for
--- byte (cache keys are SHA-256 of this text), and what encodes the values
--- the C one hands back (tables with __pairs, very deep nesting).
---@param v any
---@return string
function json.encode_lua(v)
  local out = {}
  encode(v, out, {})
  return table.concat(out)
end

local encode_c = require("zenml._core").json.encode

--- Encode a value as JSON text.
---@param v any
---@return string
function json.encode(v)
  return encode_c(v) or json.encode_lua(v)
end

-- Decoding ---------------------------------------------------------------------


local function decode_error(_, i, what)
  error({ json_error = ("%s at column %d"):format(what, i) }, 0)
end

local decode_value

local function skip(s, i)
  return s:find("[^ \t\r\n]", i) or #s + 1
end

local unescapes = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

local function decode_string(s, i)
  local out, j = {}, i + 1
  while true do
    local k = s:find('["\\%c]', j)
    if not k then decode_error(s, i, "unterminated string") end
    out[#out + 1] = s:sub(j, k - 1)
    local c = s:sub(k, k)
    if c == '"' then return table.concat(out), k + 1 end
    if c ~= "\\" then decode_error(s, k, "control character in string") end
    local e = s:sub(k + 1, k + 1)
    if e == "u" then
      local hex = s:match("^%x%x%x%x", k + 2)
      if not hex then decode_error(s, k, "bad \\u escape") end
      local cp = tonumber(hex, 16)
      local nexti = k + 6
      if cp >= 0xD800 and cp <= 0xDBFF then
        local lo = s:match("^\\u(%x%x%x%x)", nexti)
        if lo then cp = 0x10000 + (cp - 0xD800) * 0x400 + (tonumber(lo, 16) - 0xDC00); nexti = nexti + 6 end
      end
      out[#out + 1] = utf8.char(cp)
      j = nexti
    elseif unescapes[e] then
      out[#out + 1] = unescapes[e]
      j = k + 2
    else
      decode_error(s, k, "bad escape")
    end
  end
end

local function decode_array(s, i)
  local out, n = {}, 0
  i = skip(s, i + 1)
  if s:sub(i, i) == "]" then return out, i + 1 end
  while true do
    local v
    v, i = decode_value(s, i)
    n = n + 1
    out[n] = v
    i = skip(s, i)
    local c = s:sub(i, i)
    if c == "]" then return out, i + 1 end
    if c ~= "," then decode_error(s, i, "expected ',' or ']'") end
    i = skip(s, i + 1)
  end
end

local function decode_object(s, i, order)
  local out = {}
  i = skip(s, i + 1)
  if s:sub(i, i) == "}" then return out, i + 1 end
  while true do
    if s:sub(i, i) ~= '"' then decode_error(s, i, "expected a key string") end
    local k
    k, i = decode_string(s, i)
    i = skip(s, i)
    if s:sub(i, i) ~= ":" then decode_error(s, i, "expected ':'") end
    local v
    v, i = decode_value(s, skip(s, i + 1))
    if order and out[k] == nil then order[#order + 1] = k end
    out[k] = v
    i = skip(s, i)
    local c = s:sub(i, i)
    if c == "}" then return out, i + 1 end
    if c ~= "," then decode_error(s, i, "expected ',' or '}'") end
    i = skip(s, i + 1)
  end
end

--- The value JSON null decodes to.
json.null = setmetatable({}, { __tostring = function() return "null" end, __name = "json.null" })

function decode_value(s, i, order)
  local c = s:sub(i, i)
  if c == "{" then return decode_object(s, i, order) end
  if c == "[" then return decode_array(s, i) end
  if c == '"' then return decode_string(s, i) end
  if s:find("^true", i) then return true, i + 4 end
  if s:find("^false", i) then return false, i + 5 end
  if s:find("^null", i) then return json.null, i + 4 end
  local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", i)
  if num and num ~= "" and num ~= "-" then
    local v = math.tointeger(tonumber(num)) or tonumber(num)
    if num:find("[.eE]") then v = tonumber(num) + 0.0 end
    if v == nil then decode_error(s, i, "bad number") end
    return v, i + #num
  end
  decode_error(s, i, c == "" and "unexpected end of text" or ("unexpected '" .. c .. "'"))
end

--- Decode one JSON text. Objects keep their key order in `order` (optional
--- list filled with the top-level keys); null becomes json.null.
---@param text string
---@param order? string[]
---@return any|nil value
---@return string|nil message "<what> at column N"
function json.try_decode(text, order)
  local ok, v, i = pcall(function()
    local v, i = decode_value(text, skip(text, 1), order)
    return v, i
  end)
  if not ok then
    if type(v) == "table" and v.json_error then return nil, v.json_error end
    error(v, 0)
  end
  local rest = skip(text, i)
  if rest <= #text then return nil, ("unexpected text after the value at column %d"):format(rest) end
  return v
end

return json
