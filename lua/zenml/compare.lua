--- Comparing runs: what each run used (parameters from its recorded YAML,
--- datasource version, source pins) and what it got (metrics, durations),
--- as one table with the runs as columns. `zenml run compare`, `run show`
--- and `zenml.compare(runs)` build on it.
local json = require "zenml.json"
local class = require "zenml.class"

local M = {}

-- The recorded YAML of a run (nil when it is gone or unreadable).
local function doc_of(run)
  if run._doc == nil then
    local path = run.yaml_path and require("zenml.repo").resolve(run._repo.root, run.yaml_path)
    run._doc = path and require("zenml.yaml").read(path) or false
  end
  return run._doc or nil
end
M.doc_of = doc_of

-- Params are compared and printed through their JSON text, so a list or a
-- map compares by content.
local function text(v)
  if type(v) == "table" then return json.encode(v) end
  return v
end

-- The parameter declarations of a step's class, or nil when the class cannot
-- be loaded (a user's module that is not on the path any more).
local function class_spec(doc, name)
  local step = doc.steps[name]
  if type(step.module) ~= "string" or type(step.class) ~= "string" then return nil end
  local ok, cls = pcall(require("zenml.engine.classes").class_of, doc, name)
  if not ok or type(cls) ~= "table" then return nil end
  local sok, spec = pcall(require("zenml.step").param_spec, cls)
  return sok and spec or nil
end

--- The parameters of a run's steps as {step, name, value, default?} in step
--- and name order; without `all`, only those that differ from their class's
--- default (every one when the class is unknown).
---@param run table a Run
---@param all? boolean
---@return table[]
function M.params(run, all)
  local doc = doc_of(run)
  local out = {}
  if not doc or type(doc.steps) ~= "table" then return out end
  for _, step in ipairs(require("zenml.yaml").keys(doc.steps)) do
    local s = doc.steps[step]
    local spec = class_spec(doc, step) or {}
    local params = type(s.params) == "table" and s.params or {}
    for _, name in ipairs(require("zenml.tables").sorted_keys(params)) do
      local decl = spec[name]
      local default = type(decl) == "table" and decl.default or nil
      local differs = default == nil or text(default) ~= text(params[name])
      if all or differs then
        out[#out + 1] = { step = step, name = name, value = params[name], default = default }
      end
    end
  end
  return out
end

--- Whether a metric is better lower (losses and errors) or higher.
---@param name string
---@return "lower"|"higher"
function M.direction(name)
  local n = name:lower()
  for _, w in ipairs { "loss", "error", "mse", "mae", "rmse" } do
    if n:find(w, 1, true) then return "lower" end
  end
  return "higher"
end

-- Every row a run has: section, name -> value.
local function facts(run)
  local rows = {}
  local function add(section, name, value)
    if value ~= nil then rows[#rows + 1] = { section = section, name = name, value = value } end
  end
  local doc = doc_of(run) or {}
  add("run", "pipeline", run.pipeline)
  add("run", "type", doc.type)
  for _, p in ipairs(M.params(run, true)) do add("param", p.step .. "." .. p.name, text(p.value)) end
  if type(doc.datasource) == "table" then
    add("datasource", "datasource", doc.datasource.name)
    add("datasource", "datasource.version", doc.datasource.version)
  end
  add("source", "git", run.git_commit and (run.git_commit:sub(1, 12) .. (run.git_dirty and "+" or "")))
  for _, step in ipairs(type(doc.steps) == "table" and require("zenml.yaml").keys(doc.steps) or {}) do
    add("source", "source." .. step, doc.steps[step].source)
  end
  local metrics = run:metrics()
  for _, name in ipairs(require("zenml.tables").sorted_keys(metrics)) do
    add("metric", name, metrics[name])
  end
  add("duration", "seconds", run.ended and run.ended - run.started)
  for _, e in ipairs(run:executions()) do
    add("duration", "seconds." .. e.step, e.ended and e.ended - e.started)
  end
  return rows
end

local SECTIONS = { run = 1, param = 2, datasource = 3, source = 4, metric = 5, duration = 6 }

--- A comparison: `runs` (ids and pipelines), `rows` ({section, name, values
--- (one per run, nil where the run has none), deltas (to the first run, for
--- numbers), best (run indexes, for metrics), direction}), `all`, and
--- `shared_only` when runs of different pipeline types were compared.
local Comparison = class.Object:extend("Comparison")
M.Comparison = Comparison

local function equal_all(values, n)
  for i = 2, n do
    if text(values[i]) ~= text(values[1]) then return false end
  end
  return true
end

local function mark_best(row, n)
  local best
  for i = 1, n do
    local v = row.values[i]
    if type(v) == "number" and (best == nil or (row.direction == "lower" and v < best)
        or (row.direction == "higher" and v > best)) then
      best = v
    end
  end
  row.best = {}
  if best == nil then return end
  for i = 1, n do
    if row.values[i] == best then row.best[#row.best + 1] = i end
  end
end

-- Whether the row stays: it differs between the runs (or `all`), and when
-- runs of different types are compared, every run has it.
local function keep(row, n, opts)
  local have = 0
  for i = 1, n do if row.values[i] ~= nil then have = have + 1 end end
  if opts.shared_only and have < n then return false end
  if row.section == "duration" and row.name ~= "seconds" and not opts.all then return false end
  if row.section == "duration" and row.name == "seconds" then return true end
  return opts.all or not equal_all(row.values, n)
end

local function build_rows(runs, opts)
  local byKey, order = {}, {}
  for i, run in ipairs(runs) do
    for _, f in ipairs(facts(run)) do
      local key = f.section .. "\0" .. f.name
      local row = byKey[key]
      if not row then
        row = { section = f.section, name = f.name, values = {} }
        byKey[key], order[#order + 1] = row, row
      end
      row.values[i] = f.value
    end
  end
  table.sort(order, function(a, b)
    if a.section ~= b.section then return SECTIONS[a.section] < SECTIONS[b.section] end
    if a.section == "param" or a.section == "source" or a.section == "duration" then
      return false -- the order the runs list them in (step order) stays
    end
    return a.name < b.name
  end)
  return order
end

function Comparison:init(runs, opts)
  opts = opts or {}
  local n = #runs
  self.runs, self.all = {}, opts.all or false
  local types = {}
  for i, r in ipairs(runs) do
    local doc = doc_of(r) or {}
    self.runs[i] = { id = r.id, pipeline = r.pipeline, type = doc.type, status = r.status }
    if doc.type then types[doc.type] = true end
  end
  local ntypes = 0
  for _ in pairs(types) do ntypes = ntypes + 1 end
  self.shared_only = ntypes > 1
  self.rows = {}
  for _, row in ipairs(build_rows(runs, opts)) do
    if keep(row, n, { all = opts.all, shared_only = self.shared_only }) then
      if type(row.values[1]) == "number" then
        row.deltas = {}
        for i = 2, n do
          if type(row.values[i]) == "number" then row.deltas[i] = row.values[i] - row.values[1] end
        end
      end
      if row.section == "metric" then
        row.direction = M.direction(row.name)
        mark_best(row, n)
      end
      self.rows[#self.rows + 1] = row
    end
  end
end

-- The pipeline types when they differ, for the one-line notice.
function Comparison:types()
  local seen, list = {}, {}
  for _, r in ipairs(self.runs) do
    if r.type and not seen[r.type] then seen[r.type], list[#list + 1] = true, r.type end
  end
  return list
end

local function num(v)
  if math.type(v) == "integer" then return tostring(v) end
  return ("%.6g"):format(v)
end

-- Whether run i holds the row's best value and some run a worse one (a
-- mark means nothing when every run has the same value).
local function is_best(row, i, n)
  if not row.best or #row.best == 0 then return false end
  local have = 0
  for k = 1, n do if row.values[k] ~= nil then have = have + 1 end end
  if #row.best >= have then return false end
  for _, b in ipairs(row.best) do if b == i then return true end end
  return false
end

local function cell_text(row, i, n)
  local v = row.values[i]
  if v == nil then return "" end
  local s = type(v) == "number" and num(v) or tostring(v)
  if row.section == "duration" and type(v) == "number" then s = ("%.2f"):format(v) end
  local d = row.deltas and row.deltas[i]
  if d and d ~= 0 then
    s = s .. " (" .. (row.section == "duration" and ("%+.2f"):format(d) or ((d > 0 and "+" or "") .. num(d))) .. ")"
  end
  if is_best(row, i, n) then s = s .. " *" end
  return s
end

--- The text of run i's cell in a row (value, delta to the first run, " *"
--- when best) and whether it holds the row's best value.
---@param row table one of self.rows
---@param i integer
---@return string text
---@return boolean best
function Comparison:cell(row, i)
  return cell_text(row, i, #self.runs), is_best(row, i, #self.runs)
end

--- The comparison as lines of an aligned table (what `run compare` prints).
function Comparison:lines()
  local head = { "" }
  for i, r in ipairs(self.runs) do head[i + 1] = r.id end
  local grid = { head }
  for _, row in ipairs(self.rows) do
    local line = { row.name }
    for i = 1, #self.runs do line[i + 1] = cell_text(row, i, #self.runs) end
    grid[#grid + 1] = line
  end
  local widths = {}
  for _, line in ipairs(grid) do
    for c, s in ipairs(line) do widths[c] = math.max(widths[c] or 0, #s) end
  end
  local out = {}
  for r, line in ipairs(grid) do
    local parts = {}
    for c, s in ipairs(line) do
      parts[c] = c < #line and s .. (" "):rep(widths[c] - #s) or s
    end
    out[r] = table.concat(parts, "  "):gsub("%s+$", "")
  end
  return out
end

function Comparison:__tostring()
  local lines = self:lines()
  if #self.rows == 0 then lines[#lines + 1] = "(no differences)" end
  return table.concat(lines, "\n")
end

--- The comparison as a JSON-ready table: full run ids, numbers as numbers;
--- each row's values, deltas (to the first run) and best are keyed by run id,
--- a run without a value left out.
function Comparison:record()
  local rows = {}
  for i, row in ipairs(self.rows) do
    local values, deltas, best = {}, nil, nil
    for k, r in ipairs(self.runs) do values[r.id] = row.values[k] end
    if row.deltas then
      deltas = {}
      for k, r in ipairs(self.runs) do deltas[r.id] = row.deltas[k] end
    end
    if row.best then
      best = {}
      for _, k in ipairs(row.best) do
        if is_best(row, k, #self.runs) then best[#best + 1] = self.runs[k].id end
      end
      best = json.array(best)
    end
    rows[i] = { section = row.section, name = row.name, values = values, deltas = deltas,
      best = best, direction = row.direction }
  end
  return { runs = self.runs, rows = rows, all = self.all, shared_only = self.shared_only }
end

local function csv_field(v)
  local s = v == nil and "" or (type(v) == "number" and num(v) or tostring(v))
  if s:find('[",\n]') then s = '"' .. s:gsub('"', '""') .. '"' end
  return s
end

--- CSV: section, row name, then one column per run (raw values).
function Comparison:csv()
  local out = { "section,name" }
  for _, r in ipairs(self.runs) do out[1] = out[1] .. "," .. csv_field(r.id) end
  for _, row in ipairs(self.rows) do
    local f = { row.section, csv_field(row.name) }
    for i = 1, #self.runs do f[#f + 1] = csv_field(row.values[i]) end
    out[#out + 1] = table.concat(f, ",")
  end
  return table.concat(out, "\n") .. "\n"
end

--- Markdown (for a pull request): deltas in the cells, the best value bold.
function Comparison:markdown()
  local head, rule = { "" }, { "---" }
  for i, r in ipairs(self.runs) do head[i + 1], rule[i + 1] = r.id, "---" end
  local out = { "| " .. table.concat(head, " | ") .. " |", "| " .. table.concat(rule, " | ") .. " |" }
  for _, row in ipairs(self.rows) do
    local f = { row.name }
    for i = 1, #self.runs do
      local s = cell_text(row, i, #self.runs):gsub(" %*$", "")
      if is_best(row, i, #self.runs) then s = "**" .. s .. "**" end
      f[i + 1] = (s:gsub("|", "\\|"))
    end
    out[#out + 1] = "| " .. table.concat(f, " | ") .. " |"
  end
  return table.concat(out, "\n") .. "\n"
end

--- Compare runs (Run objects, at least one).
---@param runs table[]
---@param opts? {all?: boolean}
---@return table comparison
function M.compare(runs, opts)
  return Comparison:new(runs, opts)
end

return M
