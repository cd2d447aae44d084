--- What the REPL adds to Lua: completion of names (globals, fields, methods
--- through metatables) for the line editor, and `help(x)`, which describes a
--- zenml object from its class and the `---` comments in its source.
local M = {}

local function is_name(s)
  return type(s) == "string" and s:match("^[%a_][%w_]*$") ~= nil
end

local KEYWORDS = { "and", "break", "do", "else", "elseif", "end", "false", "for", "function",
  "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until",
  "while" }

-- Names reachable on `v` by indexing: its own keys (when a table), the
-- `__keys` of its metatable (names loaded on demand, as the zenml package's
-- submodules) and the keys of every table along its `__index` chain
-- (methods of classes and userdata). name -> the value when known.
local function names_of(v)
  local out = {}
  local function add_table(t)
    for k, x in next, t do
      if is_name(k) and out[k] == nil then out[k] = x end
    end
  end
  if type(v) == "table" then add_table(v) end
  local seen = {}
  local mt = getmetatable(v)
  while type(mt) == "table" and not seen[mt] do
    seen[mt] = true
    local keys = rawget(mt, "__keys")
    if type(keys) == "function" then
      local ok, list = pcall(keys, v)
      if ok and type(list) == "table" then
        for _, k in ipairs(list) do
          if is_name(k) and out[k] == nil then out[k] = false end
        end
      end
    end
    local idx = rawget(mt, "__index")
    if type(idx) ~= "table" then break end
    add_table(idx)
    mt = getmetatable(idx)
  end
  return out
end
M.names_of = names_of

-- The value a dotted path names in `env`, or nil (errors, such as an
-- __index that raises, count as nothing to complete).
local function resolve(env, path)
  local v = env
  for part in path:gmatch("[^.]+") do
    if v == nil then return nil end
    local ok, x = pcall(function() return v[part] end)
    if not ok then return nil end
    v = x
  end
  return v
end

--- Completions of `word` (the text before the cursor back to a space or an
--- operator): a global or keyword, `a.b.fi` a field of `a.b`, `obj:me` a
--- method of `obj`. Returns the whole words, sorted.
---@param word string
---@param env? table where globals are looked up (default _G)
---@return string[]
function M.complete(word, env)
  env = env or _G
  local out = {}
  local path, sep, prefix = word:match("^([%a_][%w_.]*)([.:])([%w_]*)$")
  if path and (path:find("..", 1, true) or path:sub(-1) == ".") then return out end
  local candidates, head
  if path then
    local v = resolve(env, path)
    if v == nil then return out end
    candidates, head = names_of(v), path .. sep
  elseif word:match("^[%a_]?[%w_]*$") then
    candidates, head, prefix = names_of(env), "", word
    for _, k in ipairs(KEYWORDS) do candidates[k] = candidates[k] or false end
  else
    return out
  end
  local private = prefix:sub(1, 1) == "_"
  for name, value in pairs(candidates) do
    if name:sub(1, #prefix) == prefix and (private or name:sub(1, 1) ~= "_")
        and (sep ~= ":" or type(value) == "function") then
      out[#out + 1] = head .. name
    end
  end
  table.sort(out)
  return out
end

--- M.complete as one string, one word a line (what the C line editor reads).
function M.complete_lines(word)
  return table.concat(M.complete(word), "\n")
end

-- help --------------------------------------------------------------------

local file_lines = {}

local function lines_of(path)
  if file_lines[path] == nil then
    local lines = {}
    local f = io.open(path, "r")
    if f then
      for line in f:lines() do lines[#lines + 1] = line end
      f:close()
    end
    file_lines[path] = lines
  end
  return file_lines[path]
end

-- The `---` comment block that ends just above line `n` (annotations left out).
local function comment_above(lines, n)
  local out = {}
  local i = n - 1
  while i >= 1 and lines[i]:match("^%s*%-%-%-") do i = i - 1 end
  for j = i + 1, n - 1 do
    local text = lines[j]:match("^%s*%-%-%-%s?(.*)$")
    if not text:match("^@") then out[#out + 1] = text end
  end
  return out
end

-- The first `---` comment block of a file (its module description).
local function header(lines)
  local first = 1
  while lines[first] and not lines[first]:match("^%s*%-%-%-") do
    if lines[first]:match("%S") and not lines[first]:match("^%s*%-%-") then return {} end
    first = first + 1
  end
  local last = first
  while lines[last] and lines[last]:match("^%s*%-%-%-") do last = last + 1 end
  return comment_above(lines, last)
end

local function source_file(fn)
  local info = debug.getinfo(fn, "S")
  if info and info.source:sub(1, 1) == "@" then return info.source:sub(2), info.linedefined end
end

--- The doc comment of a Lua function, as a list of lines (empty when none).
---@param fn function
---@return string[]
function M.function_doc(fn)
  local path, line = source_file(fn)
  if not path or line < 1 then return {} end
  return comment_above(lines_of(path), line)
end

local function first_sentence(lines)
  local text = table.concat(lines, " "):gsub("%s+", " ")
  local stop = text:find("[.:]%s+%u") or text:find("[.:]%s+`")
  return stop and text:sub(1, stop) or text
end

local function params_of(fn)
  local info = debug.getinfo(fn, "u")
  local names = {}
  for i = 1, info.nparams do names[i] = debug.getlocal(fn, i) end
  if info.isvararg then names[#names + 1] = "..." end
  if names[1] == "self" then table.remove(names, 1) end
  return table.concat(names, ", ")
end

local function is_class(v)
  return type(v) == "table" and rawget(v, "__index") == v and type(rawget(v, "__name")) == "string"
end

local function class_of(v)
  if is_class(v) then return v end
  local mt = getmetatable(v)
  if is_class(mt) then return mt end
end

-- Description of a class: the comment above its `extend("Name")` line, else
-- the header of the file that defines it.
local function class_doc(cls)
  local path = rawget(cls, "__file")
  if type(path) ~= "string" then return {} end
  local lines = lines_of(path)
  local name = rawget(cls, "__name")
  for i, line in ipairs(lines) do
    if line:find(':extend("' .. name .. '")', 1, true) or line:find(":extend('" .. name .. "')", 1, true) then
      local doc = comment_above(lines, i)
      if #doc > 0 then return doc end
      break
    end
  end
  return header(lines)
end

local function value_text(v)
  if type(v) == "string" then return ("%q"):format(v) end
  if type(v) == "table" then
    local ok, text = pcall(require("zenml.json").encode, v)
    return ok and text or tostring(v)
  end
  return tostring(v)
end

-- Methods (functions) of a class and its parents: name -> function. The
-- class machinery (init, new, extend, class_name, is_a) is left out: an
-- object is made by calling its class, Name { ... }.
local function methods_of(cls)
  local Object = require("zenml.class").Object
  local out, hidden = {}, { init = true }
  for k, v in pairs(Object) do
    if type(v) == "function" then hidden[k] = true end
  end
  local c = cls
  while type(c) == "table" do
    for k, v in pairs(c) do
      if type(k) == "string" and type(v) == "function" and k:sub(1, 1) ~= "_"
          and not hidden[k] and out[k] == nil then
        out[k] = v
      end
    end
    c = rawget(c, "super")
  end
  return out
end

local sorted_keys = require("zenml.tables").sorted_keys

local function emit_functions(out, title, fns, sep)
  local names = sorted_keys(fns)
  if #names == 0 then return end
  out[#out + 1] = title
  local rows, width = {}, 0
  for i, k in ipairs(names) do
    rows[i] = { k .. "(" .. params_of(fns[k]) .. ")", first_sentence(M.function_doc(fns[k])) }
    width = math.max(width, #rows[i][1])
  end
  for _, r in ipairs(rows) do
    out[#out + 1] = (("  %s%-" .. width .. "s  %s"):format(sep, r[1], r[2])):gsub("%s+$", "")
  end
end

local function emit_params(out, cls, current)
  local spec = rawget(cls, "params") or cls.params
  if type(spec) ~= "table" or next(spec) == nil then return end
  out[#out + 1] = "parameters:"
  local rows, w1, w2 = {}, 0, 0
  for i, k in ipairs(sorted_keys(spec)) do
    local s = spec[k]
    local what = s.required and "required" or ("default " .. value_text(s.default))
    if s.values then
      local vals = {}
      for j, x in ipairs(s.values) do vals[j] = tostring(x) end
      what = what .. "; one of " .. table.concat(vals, ", ")
    end
    if current and current[k] ~= nil then what = "= " .. value_text(current[k]) .. "  (" .. what .. ")" end
    rows[i] = { k, s.type or "any", what }
    w1, w2 = math.max(w1, #k), math.max(w2, #rows[i][2])
  end
  for _, r in ipairs(rows) do
    out[#out + 1] = ("  %-" .. w1 .. "s  %-" .. w2 .. "s  %s"):format(r[1], r[2], r[3])
  end
end

local function ports(spec)
  local parts = {}
  for _, k in ipairs(sorted_keys(spec or {})) do
    local s = spec[k]
    local ty = type(s) == "table" and s.type or s
    parts[#parts + 1] = ("%s (%s%s)"):format(k, tostring(ty),
      type(s) == "table" and s.required and ", required" or "")
  end
  return table.concat(parts, ", ")
end

local function lineage(cls)
  local names = {}
  local c = rawget(cls, "super")
  while type(c) == "table" and rawget(c, "__name") do
    names[#names + 1] = rawget(c, "__name")
    c = rawget(c, "super")
  end
  return #names > 0 and (" < " .. table.concat(names, " < ")) or ""
end

local TIME_FIELDS = require("zenml.pretty").TIME_FIELDS

local function describe_object(out, obj, cls)
  local Step = require("zenml.step").Step
  local step = cls.is_a and cls:is_a(Step)
  if obj ~= cls and not step then
    local fields = {}
    for _, k in ipairs(sorted_keys(obj)) do
      local v = rawget(obj, k)
      if type(k) == "string" and k:sub(1, 1) ~= "_" and type(v) ~= "function" then
        if TIME_FIELDS[k] and type(v) == "number" then v = require("zenml.output").iso_time(v) end
        fields[#fields + 1] = ("  %s = %s"):format(k, type(v) == "string" and v or value_text(v))
      end
    end
    if #fields > 0 then
      out[#out + 1] = "fields:"
      table.move(fields, 1, #fields, #out + 1, out)
    end
  end
  if step then
    emit_params(out, cls, obj ~= cls and obj.params or nil)
    local inputs = obj ~= cls and obj:input_spec() or rawget(cls, "inputs") or cls.inputs
    local outputs = obj ~= cls and obj:output_spec() or rawget(cls, "outputs") or cls.outputs
    if next(inputs or {}) then out[#out + 1] = "inputs:  " .. ports(inputs) end
    if next(outputs or {}) then out[#out + 1] = "outputs: " .. ports(outputs) end
  end
  emit_functions(out, "methods:", methods_of(cls), ":")
end

local function describe_module(out, t, name)
  local fns, subs, classes = {}, {}, {}
  for k, v in pairs(t) do
    if type(k) == "string" and k:sub(1, 1) ~= "_" then
      if type(v) == "function" then fns[k] = v
      elseif is_class(v) then classes[#classes + 1] = k
      elseif type(v) == "table" then subs[#subs + 1] = k end
    end
  end
  local any = next(fns) and fns[next(fns)]
  if any then
    local path = source_file(any)
    local doc = path and header(lines_of(path)) or {}
    for _, line in ipairs(doc) do out[#out + 1] = line end
  end
  table.sort(classes)
  table.sort(subs)
  if #classes > 0 then out[#out + 1] = "classes: " .. table.concat(classes, ", ") end
  if #subs > 0 then out[#out + 1] = "tables:  " .. table.concat(subs, ", ") end
  emit_functions(out, "functions:", fns, (name and name .. ".") or "")
end

--- The text help(x) prints.
---@param x any
---@return string
function M.help_text(x)
  local out = {}
  local cls = class_of(x)
  if x == nil then
    return table.concat({
      "help(x) describes x: a step or step class (its parameters, inputs, outputs and methods),",
      "a repository (zenml.repo()), a run, an artifact, a module (help(zenml.frame)) or a function.",
      "Tab completes globals, fields (zenml.me<Tab>) and methods (repo:<Tab>).",
    }, "\n")
  elseif x == package.loaded.zenml then
    out[1] = tostring(x)
  elseif cls then
    out[1] = (x == cls and "class " or "") .. rawget(cls, "__name") .. lineage(cls)
      .. (rawget(cls, "__module") and (" (module " .. rawget(cls, "__module") .. ")") or "")
    if x ~= cls then
      local ok, text = pcall(tostring, x)
      if ok and text ~= out[1] then out[#out + 1] = text end
    end
    for _, line in ipairs(class_doc(cls)) do out[#out + 1] = "  " .. line end
    describe_object(out, x, cls)
  elseif type(x) == "function" then
    local info = debug.getinfo(x, "S")
    out[1] = "function(" .. params_of(x) .. ")" .. (info.short_src and info.what == "Lua"
      and (" defined at " .. info.short_src .. ":" .. info.linedefined) or "")
    for _, line in ipairs(M.function_doc(x)) do out[#out + 1] = "  " .. line end
  elseif type(x) == "table" and getmetatable(x) == nil then
    describe_module(out, x)
  else
    local mt = getmetatable(x)
    out[1] = (mt and type(mt) == "table" and rawget(mt, "__name")) or type(x)
    if type(mt) == "table" and type(rawget(mt, "__index")) == "table" then
      local fns = {}
      for k, v in pairs(mt.__index) do
        if type(v) == "function" and type(k) == "string" and k:sub(1, 1) ~= "_" then fns[k] = v end
      end
      local names = sorted_keys(fns)
      if #names > 0 then out[#out + 1] = "methods: " .. table.concat(names, ", ") end
    end
  end
  return table.concat(out, "\n")
end

--- help(x): print what x is, its parameters and methods.
function M.help(...)
  io.stdout:write(M.help_text((...)), "\n")
  io.stdout:flush()
end

--- Set the REPL's conveniences as globals: `help`.
function M.install()
  if rawget(_G, "help") == nil then rawset(_G, "help", M.help) end
end

return M
