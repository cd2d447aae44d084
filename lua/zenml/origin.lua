--- Where a row of a step's input came from, for error messages: "data/x.csv:42".
---
--- Nothing is recorded per row while a pipeline runs. When an error names a
--- row of a frame (a null label at row 23 of the training split), the run's
--- wiring is followed back through the steps that keep rows in order
--- (preprocessers, a trainer's predictions) to the split that made that
--- part; the split is computed again on the datasource snapshot with row
--- numbers attached, and the datasource names the line of that row, if its
--- files still hold the snapshot's bytes. Any step of this that cannot be
--- done gives nil and the message stays as it was.
local frame = require "zenml.frame"
local docs = require "zenml.engine.doc"
local classes = require "zenml.engine.classes"

local M = {}

local function run_doc(ctx)
  local run = assert(ctx.repo:run(ctx.run_id))
  return docs.load(ctx.repo.root .. "/" .. run.yaml_path)
end

local function upstream(wire)
  return type(wire) == "string" and wire:match("^([^.]+)%.") or nil
end

-- The split step (name, class) and part whose rows output `out` of step
-- `name` has, row for row; nil when a step on the way may reorder rows.
local function find_part(doc, name, out, depth)
  local bases = require "zenml.steps.bases"
  local s = doc.steps[name]
  if not s or depth > 20 then return nil end
  local cls = classes.class_of(doc, name)
  if cls:is_a(bases.BaseSplitStep) then return name, out, cls end
  local up = s.inputs and type(s.inputs.splits) == "string" and s.inputs.splits:match("^([^.]+)%.%*$")
  if not up then return nil end
  if cls:is_a(bases.BaseTrainerStep) and out == "predictions" then
    -- predictions are made on the split the trainer predicts on
    local split, _, scls = find_part(doc, up, "train", depth + 1)
    if not split then return nil end
    local names = {}
    for _, n in ipairs(classes.instantiate(doc, split, scls):split_names()) do names[n] = true end
    out = classes.instantiate(doc, name, cls):predict_split(names) or "train"
  elseif not cls:is_a(bases.BasePreprocesserStep) and not cls:is_a(bases.BaseTrainerStep) then
    return nil
  end
  return find_part(doc, up, out, depth + 1)
end

-- The datasource step's params {name, version} feeding split step `split`.
local function datasource_of(doc, split)
  local ds = upstream(doc.steps[split].inputs and doc.steps[split].inputs.data)
  local p = ds and doc.steps[ds] and doc.steps[ds].params
  if p and type(p.name) == "string" and type(p.version) == "string" then return p end
end

-- Row `row` of part `part` as a row of the snapshot: the split again, on the
-- snapshot with a row-number column.
local function snapshot_row(ctx, doc, split, scls, part, row)
  local p = datasource_of(doc, split)
  if not p then return nil end
  local artifact
  for _, v in ipairs(ctx.repo:meta():versions(p.name)) do
    if v.id == p.version then artifact = v.artifact end
  end
  if not artifact then return nil end
  local store = ctx.repo:store()
  local data = assert(frame.read(store:path(artifact), { store = store }))
  local numbers = {}
  for i = 1, data:nrow() do numbers[i] = i end
  local numbered = require("zenml.steplib").hstack {
    data, frame.from_table({ ["zenml:row"] = numbers }) }
  local step = classes.instantiate(doc, split, scls)
  local quiet = setmetatable({ progress = function() end, log = function() end }, { __index = ctx })
  local got = step:parts(quiet, numbered)[part]
  if not got or row > got:nrow() then return nil end
  return got:col("zenml:row")[row], p, data
end

--- The source of row `row` (1-based) of the frame the current step reads
--- through input `input` (part `part` of it for a frame{} input): "file:line"
--- and the split part's name, or nil. `check(data, i)` may reject a found
--- snapshot row i (e.g. its label is not null there).
---@return string|nil where
---@return string|nil part
function M.locate(ctx, input, part, row, check)
  local doc = run_doc(ctx)
  local wire = doc.steps[ctx.step_name].inputs[input]
  local up = upstream(wire)
  if not up then return nil end
  local out = wire:match("%.%*$") and part or wire:match("^[^.]+%.(.+)$")
  local split, spart, scls = find_part(doc, up, out, 0)
  if not split then return nil end
  local i, p, data = snapshot_row(ctx, doc, split, scls, spart, row)
  if not i or (check and not check(data, i)) then return nil end
  local ds = require("zenml.datasources").load(ctx.repo, p.name)
  if not ds or not ds.locate then return nil end
  return ds:locate(ctx.repo, p.version, i), spart
end



--- `message` with "label column 'y' has a null at row N" (N a row of the
--- frame read through `input`, part `part`; a feature column likewise) put
--- as "data/x.csv:42: label column 'y' has a null (row N of split 'train')",
--- when the source line can be found; otherwise `message` unchanged.
---@param ctx table the step context
---@param input string
---@param part string|nil
---@param message string
---@return string
function M.label_error(ctx, input, part, message)
  local pattern = "(%a+) column '([^']*)' has ([%a ]-) at row (%d+)"
  local i, j, kind, column, what, row = message:find(pattern)
  if not i or (kind ~= "label" and kind ~= "feature") then return message end
  local function is_missing(data, r)
    local has, col = pcall(data.col, data, column)
    if not has then return false end -- e.g. a one-hot column the transform made
    local v = col[r]
    return v == nil or v ~= v
  end
  local ok, where, spart = pcall(M.locate, ctx, input, part, tonumber(row), is_missing)
  if not ok or not where then return message end
  return message:sub(1, i - 1) .. ("%s: %s column '%s' has %s (row %s of split '%s')"):format(
    where, kind, column, what, row, spart) .. message:sub(j + 1)
end

return M
