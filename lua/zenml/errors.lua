--- zenml.errors: errors a person can act on (docs/cli.md, "Errors").
---
--- One format everywhere: `zenml: <file>:<line>: message`, then only the
--- frames of the user's own code; zenml's frames (lua/zenml, stdlib, C) only
--- with `--traceback` or ZENML_TRACEBACK=1. Errors about zenml's inputs (a
--- bad parameter, a missing column, an empty split) are raised with
--- `errors.user` and print no frames at all. Mistyped names get a suggestion
--- ("did you mean FeedForward?").
local M = {}

--- The edit distance between two strings with adjacent transpositions
--- counting as one edit (optimal string alignment, Damerau-Levenshtein),
--- bytewise. Stops early and returns limit + 1 once it exceeds `limit`.
---@param a string
---@param b string
---@param limit? integer
---@return integer
function M.distance(a, b, limit)
  local la, lb = #a, #b
  limit = limit or math.max(la, lb)
  if math.abs(la - lb) > limit then return limit + 1 end
  local prev2, prev, cur = {}, {}, {}
  for j = 0, lb do prev[j] = j end
  for i = 1, la do
    cur[0] = i
    local best = i
    local ca = a:byte(i)
    for j = 1, lb do
      local cb = b:byte(j)
      local d = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca == cb and 0 or 1))
      if i > 1 and j > 1 and ca == b:byte(j - 1) and a:byte(i - 1) == cb then
        d = math.min(d, prev2[j - 2] + 1)
      end
      cur[j] = d
      if d < best then best = d end
    end
    if best > limit then return limit + 1 end
    prev2, prev, cur = prev, cur, prev2
  end
  return prev[lb]
end

--- The known names closest to `name`: those within one edit for names of
--- up to four characters, two edits for longer ones (ignoring case), and
--- fewer edits than `name` has characters (so not for one letter). At
--- most two, the closest first, ties in the order given; an empty list when
--- nothing is close or `name` is itself known.
---@param name string
---@param known string[]|table<string, any> names, or a table whose string keys are the names
---@return string[]
function M.suggest(name, known)
  if type(name) ~= "string" or name == "" then return {} end
  local names = {}
  if #known > 0 then
    for _, k in ipairs(known) do names[#names + 1] = k end
  else
    for k in pairs(known) do
      if type(k) == "string" then names[#names + 1] = k end
    end
    table.sort(names)
  end
  local limit = #name <= 4 and 1 or 2
  local low, found = name:lower(), {}
  for _, k in ipairs(names) do
    if k == name then return {} end
    local d = M.distance(low, tostring(k):lower(), limit)
    if d <= limit and d < #name then found[#found + 1] = { name = k, d = d, i = #found } end
  end
  table.sort(found, function(x, y) return x.d < y.d or (x.d == y.d and x.i < y.i) end)
  local out = {}
  for i = 1, math.min(2, #found) do out[i] = found[i].name end
  return out
end

--- "; did you mean X?" (or "X or Y") for a mistyped `name`, "" when no
--- known name is close: appended to an "unknown ..." message.
---@param name string
---@param known string[]|table<string, any>
---@return string
function M.did_you_mean(name, known)
  local s = M.suggest(name, known)
  if #s == 0 then return "" end
  return "; did you mean " .. table.concat(s, " or ") .. "?"
end

-- Errors raised with errors.user / errors.new: a message, where it points
-- (the user's file:line, when known), the exit status. `tostring` gives the
-- bare message, so code that treats errors as strings keeps working.
local Error = { __name = "zenml.error" }
Error.__index = Error
Error.__tostring = function(e) return e.message end
Error.__concat = function(a, b) return tostring(a) .. tostring(b) end
M.Error = Error

--- Whether `e` is an error raised with errors.user or errors.new.
function M.is_user(e) return getmetatable(e) == Error end

--- Whether zenml's own frames are shown: `--traceback` or ZENML_TRACEBACK=1.
function M.traceback_enabled()
  local v = os.getenv("ZENML_TRACEBACK")
  return v ~= nil and v ~= "" and v ~= "0"
end

--- The code of an error zenml's C core raised ("notfound", "io", "invalid",
--- "exists", "nomem", "version", "interrupted" or "error"), or nil when `e`
--- is not the last error the core raised in this Lua state (docs/cli.md,
--- "Errors of the Lua API").
---@param e any the caught error
---@return string|nil code
function M.code(e)
  local ok, core = pcall(require, "zenml._core")
  return ok and core.last_error_code(e) or nil
end

local roots
-- The folders of zenml's own Lua code, as chunk names ("@/.../lua/").
local function zenml_roots()
  if not roots then
    local ok, core = pcall(require, "zenml._core")
    local home = ok and core.sys.home() or ""
    roots = { "@" .. home .. "/lua/", "@" .. home .. "/stdlib/" }
    local real = ok and core.sys.realpath(home)
    if real and real ~= home then
      roots[3], roots[4] = "@" .. real .. "/lua/", "@" .. real .. "/stdlib/"
    end
  end
  return roots
end

--- Whether a frame's source (debug.getinfo's `source`) is zenml's own: C,
--- or a file of zenml's lua/ or stdlib/ folders.
function M.internal(source)
  if source == "=[C]" then return true end
  if source:sub(1, 1) ~= "@" then return false end
  for _, r in ipairs(zenml_roots()) do
    if source:sub(1, #r) == r then return true end
  end
  return false
end

-- The frame of this function marks where a step's code starts: frames
-- below it (the runner, the pipeline script that called p:run()) are not
-- part of that step's error. Not a tail call, so the frame stays.
local function boundary(f, ...)
  local r = table.pack(f(...))
  return table.unpack(r, 1, r.n)
end

--- Call f(...) with a boundary under it: an error inside names only the
--- frames above it (see errors.user and errors.handler).
M.boundary = boundary

-- The number of levels on the stack from `level` (of the caller): found by
-- doubling, then bisection, as luaL_traceback does (a deep stack after a
-- stack overflow must not cost a walk per frame).
local function depth(level)
  local lo, hi = level, level + 1
  while debug.getinfo(hi, "l") do
    lo, hi = hi, hi * 2
  end
  while hi - lo > 1 do
    local mid = (lo + hi) // 2
    if debug.getinfo(mid, "l") then lo = mid else hi = mid end
  end
  return lo
end

local FIRST, LAST = 22, 12      -- frames kept at either end of a deep stack

-- The frames from `level` (of the caller of frames) down the stack; those
-- at or below a boundary are marked `below`. Of a very deep stack, the
-- frames at both ends, with a { skipped = n } in between.
local function frames(level)
  local out, below = {}, false
  level = level + 1
  local last = depth(level + 1) - 1
  local function add(l)
    local info = debug.getinfo(l + 1, "Slnf")   -- + 1: this function's own level
    if not info then return end
    below = below or info.func == boundary
    info.below = below
    out[#out + 1] = info
  end
  if last - level + 1 <= FIRST + LAST then
    for l = level, last do add(l) end
  else
    for l = level, level + FIRST - 1 do add(l) end
    out[#out + 1] = { skipped = last - level + 1 - FIRST - LAST, below = below }
    for l = last - LAST + 1, last do add(l) end
  end
  return out
end

local cwd
-- A path as the user knows it: relative to the current folder when inside it.
local function relative(path)
  if cwd == nil then
    local ok, core = pcall(require, "zenml._core")
    cwd = ok and core.sys.getcwd() .. "/" or false
  end
  if cwd and path:sub(1, #cwd) == cwd then return path:sub(#cwd + 1) end
  return path
end

local function display_path(info)
  if info.source:sub(1, 1) ~= "@" then return info.short_src end
  return relative(info.source:sub(2))
end

local function location(info)
  return ("%s:%d"):format(display_path(info), info.currentline)
end

local function is_user(info)
  return not info.below and not info.skipped and info.currentline > 0 and not M.internal(info.source)
end

-- The innermost frame of the user's code (above any boundary): file:line, or nil.
local function user_location(list)
  for _, info in ipairs(list) do
    if is_user(info) then return location(info) end
  end
end

local function describe_frame(info)
  if info.skipped then return ("\t...\t(skipping %d levels)"):format(info.skipped) end
  local where = info.what == "C" and "[C]" or location(info)
  local what
  if info.what == "main" then
    what = "main chunk"
  elseif info.namewhat ~= "" then
    what = ("%s '%s'"):format(info.namewhat, info.name)
  elseif info.what == "C" then
    what = "?"
  else
    what = ("function <%s:%d>"):format(info.short_src, info.linedefined)
  end
  return ("\t%s: in %s"):format(where, what)
end

--- Make an error value (not raised): opts.message, opts.where ("file:line",
--- or false for none), opts.code (exit status, 1 by default).
---@param opts {message: string, where?: string|false, code?: integer}
function M.new(opts)
  return setmetatable({ message = opts.message, where = opts.where or nil,
    code = opts.code or 1 }, Error)
end

--- Raise an error about the user's input: `fmt` formatted with `...`, where
--- the innermost frame of the user's code (above any step boundary) is, and
--- no traceback when printed.
---@param fmt string
function M.user(fmt, ...)
  local list = frames(2)
  local e = M.new { message = select("#", ...) > 0 and fmt:format(...) or fmt,
    where = user_location(list) }
  if M.traceback_enabled() then e.frames = list end
  error(e, 0)
end

-- Lua's own "attempt to call a nil value (method 'x')": the names the
-- tables in reach of the failing function have, for a suggestion.
local function names_in_reach(level, kind)
  local names, seen = {}, {}
  local function add_keys(t, depth)
    if type(t) ~= "table" or seen[t] or depth > 8 then return end
    seen[t] = true
    -- raw iteration: a __pairs could run code (a lazy map loads artifacts)
    for k in next, t do if type(k) == "string" then names[k] = true end end
    local mt = getmetatable(t)
    -- names a lazy table gives through __index: its metatable's __keys(t)
    -- (the convention the REPL's completion uses)
    if type(mt) == "table" and type(rawget(mt, "__keys")) == "function" then
      local ok, list = pcall(rawget(mt, "__keys"), t)
      if ok and type(list) == "table" then
        for _, k in ipairs(list) do names[k] = true end
      end
    end
    if type(mt) == "table" and type(rawget(mt, "__index")) == "table" then
      add_keys(rawget(mt, "__index"), depth + 1)
    end
  end
  local info = debug.getinfo(level, "f")
  if not info then return names end
  if kind == "global" then
    local i = 1
    while true do
      local name, v = debug.getupvalue(info.func, i)
      if not name then break end
      if name == "_ENV" then add_keys(v, 1) end
      i = i + 1
    end
    return names
  end
  local function consider(v)
    if type(v) ~= "table" then return end
    if kind == "method" then
      local mt = getmetatable(v)
      if type(mt) == "table" then add_keys(mt, 1) end
    else
      -- `zenml.datasources.CVS`: the failing table may be a field of a local
      add_keys(v, 1)
      for _, field in next, v do
        if type(field) == "table" then add_keys(field, 1) end
      end
    end
  end
  local i = 1
  while true do
    local name, v = debug.getlocal(level, i)
    if not name then break end
    consider(v)
    i = i + 1
  end
  i = 1
  while true do
    local name, v = debug.getupvalue(info.func, i)
    if not name then break end
    if name ~= "_ENV" then consider(v) end
    i = i + 1
  end
  return names
end

-- "; did you mean x?" for Lua's errors about a nil method, field or global;
-- `level` is the function that raised, counted from the caller.
local function runtime_suggestion(message, level)
  local kind, name = message:match("attempt to %a+ a nil value %((%a+) '([^']+)'%)$")
  if not kind or (kind ~= "method" and kind ~= "field" and kind ~= "global") then return "" end
  local lv = level + 1          -- counted from here
  while true do                 -- the failing function: the first Lua frame
    local info = debug.getinfo(lv, "S")
    if not info then return "" end
    if info.what ~= "C" then break end
    lv = lv + 1
  end
  -- from names_in_reach, pcall and this function are two more frames
  local ok, names = pcall(names_in_reach, lv + 2, kind)
  return ok and M.did_you_mean(name, names) or ""
end

-- Whether a message starts with the position Lua gives an error: a chunk
-- (a .lua file, -e code, standard input, a string) and a line. A data file's
-- "data/x.csv:3: ..." is not one.
local function lua_position(msg)
  return msg:find("^[^\n]-%.lua:%d+: ") or msg:find("^%(command line%):%d+: ")
    or msg:find("^stdin:%d+: ") or msg:find('^%[string "[^\n]-"%]:%d+: ')
end

--- The error value `e` with what to print about it, while the stack that
--- raised it is still there (a message handler, as for xpcall): an Error
--- (errors.user / errors.new / errors.formatted) as it is, anything else as
--- an Error with the frames from `level` (2: the function that raised).
---
--- A message with a Lua position is an error in code: it is shown with the
--- user's frames. One without (error(msg, 0), or raised in C) is zenml
--- reporting bad input when zenml's code raised it: one line, no frames; when
--- the user's code raised it, it gets that line.
---@param e any
---@param level? integer
function M.capture(e, level)
  if getmetatable(e) == Error then return e end
  level = level or 2
  local msg
  if type(e) == "string" then
    msg = e
  elseif type(e) == "number" then
    msg = tostring(e)
  else
    local mt = getmetatable(e)
    msg = mt and mt.__tostring and tostring(e) or ("(error object is a %s value)"):format(type(e))
  end
  local list = frames(level)
  -- require's "error loading module 'm' from file '/abs/steps/m.lua':\n\t<error>":
  -- the error, at its file and line, first
  local module, inner = msg:match("^error loading module '([^']*)' from file '[^\n]*':\n%s*(.*)$")
  if module then msg = relative(inner) .. (" (loading module '%s')"):format(module) end
  msg = relative(msg) .. runtime_suggestion(msg, level)
  local rec = setmetatable({ message = msg, code = 1, frames = list }, Error)
  if not lua_position(msg) then
    local raiser
    for _, info in ipairs(list) do
      if info.what ~= "C" or info.below then raiser = info break end
    end
    if raiser and is_user(raiser) then
      rec.where = location(raiser)
    else
      rec.quiet = true
    end
  end
  return rec
end

--- The text of an error (without the "zenml: " prefix): "where: message",
--- then the user's frames (all frames with --traceback). A user error has
--- no frames; nor has an error whose only user frame is the line it names.
---@param e table an Error (see errors.capture)
---@param all? boolean every frame, as with --traceback (for the run's records)
---@return string
function M.format(e, all)
  if getmetatable(e) ~= Error then e = M.capture(e, 2) end
  if e.text then return e.text end
  local head = e.where and (e.where .. ": " .. e.message) or e.message
  local list = e.frames
  all = all or M.traceback_enabled()
  if not list or (e.quiet and not all) then return head end
  local lines, hidden = {}, false
  for _, info in ipairs(list) do
    if all or is_user(info) or info.skipped then
      lines[#lines + 1] = describe_frame(info)
    elseif info.what ~= "C" and not info.below and not info.skipped then
      hidden = true
    end
  end
  if #lines == 0 then return head end
  if not all and #lines == 1 then
    -- one frame at the line the message names says nothing more
    local at = head:match("^([^\n]-:%d+): ")
    if at and lines[1]:find("\t" .. at .. ": ", 1, true) == 1 then return head end
  end
  if hidden and not all then
    lines[#lines + 1] = "\t(zenml's own frames hidden: --traceback or ZENML_TRACEBACK=1 shows them)"
  end
  return head .. "\nstack traceback:\n" .. table.concat(lines, "\n")
end

--- A message handler that gives the formatted text (errors.format of
--- errors.capture): for xpcall, and for zenml's C protected calls.
---@param e any
---@param level? integer of the function that raised, 2 by default
function M.handler(e, level)
  return M.format(M.capture(e, (level or 2) + 1))
end

--- An error whose text is already formatted (a step's error handed on from
--- a worker): printed as it is, with no frames added.
---@param text string
function M.formatted(text)
  return setmetatable({ message = text, text = text, code = 1 }, Error)
end

--- Print an error on standard error as `zenml: ...`; returns its exit status.
---@param e any an error value, captured (errors.capture) or not
---@return integer
function M.report(e)
  if getmetatable(e) ~= Error then e = M.capture(e, 2) end
  io.stdout:flush()
  io.stderr:write("zenml: ", M.format(e), "\n")
  io.stderr:flush()
  return e.code or 1
end

-- zenml's C protected calls (the host, worker states) format errors here.
debug.getregistry()["zenml.msghandler"] = function(e) return M.handler(e, 3) end

return M
