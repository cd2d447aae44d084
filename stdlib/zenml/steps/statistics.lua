--- The Data pipeline's steps: per-column statistics of a frame, and the
--- schema it shows (types, nulls, value domains), both on zenml.stats.
local zenml = require "zenml"
local stats = require "zenml.stats"

local M = {}

--- Statistics of every column (counts, nulls, moments, quantiles,
--- histograms, top values).
local Statistics = zenml.Step:extend("Statistics")
M.Statistics = Statistics
Statistics.inputs = { data = { type = "frame", required = true } }
Statistics.outputs = { statistics = "statistics" }
-- describe()'s columns go to the processing backend's workers
Statistics.shards = "columns"

function Statistics:run(ctx, inputs)
  return { statistics = stats.compute(inputs.data) }
end

--- The schema of a frame (zenml.stats.infer_schema), or, without a frame,
--- the one its statistics show (value sets only where the top values hold
--- every distinct value).
local Schema = zenml.Step:extend("Schema")
M.Schema = Schema
Schema.inputs = { data = "frame", statistics = "statistics" }
Schema.outputs = { schema = "schema" }

local function from_statistics(s)
  local out = { columns = {} }
  for i, c in ipairs(s.columns or {}) do
    local col = { name = c.name, type = c.type, nullable = (c.nulls or 0) > 0 }
    if c.type == "float64" or c.type == "int64" then
      col.min, col.max = c.min, c.max
    elseif c.type == "string" and c.top and c.distinct and #c.top == c.distinct then
      col.values = {}
      for j, t in ipairs(c.top) do col.values[j] = t.value end
      table.sort(col.values)
    end
    out.columns[i] = col
  end
  return out
end

function Schema:run(ctx, inputs)
  if inputs.data then return { schema = stats.infer_schema(inputs.data) } end
  if inputs.statistics then return { schema = from_statistics(inputs.statistics) } end
  error("Schema needs its `data` or `statistics` input wired", 0)
end

return M
