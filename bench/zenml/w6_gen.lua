-- W6: record N runs of 5 steps, with metrics, in this repository's metadata
-- through the metadata API (one transaction per 1000 runs), as a pipeline
-- run would record them; no artifact is written to the store.
-- usage: zenml w6_gen.lua N PIPELINES
local zenml = require "zenml"
local n, npipes = tonumber(arg[1]), tonumber(arg[2])
assert(n and npipes, "usage: zenml w6_gen.lua N PIPELINES")
local db = zenml.repo():meta()
local steps = { "load", "split", "preprocess", "train", "evaluate" }
local versions = {}
for p = 1, npipes do versions[p] = db:pipeline_version("p" .. p, ("dag-%d"):format(p)) end
local t0 = 1700000000
-- a deterministic pseudo-random sequence (an LCG), so every run is the same
local seed = 12345
local function rand()
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
end

local function record(i)
  local p = (i - 1) % npipes + 1
  local id = ("%08x-w6-%06d"):format(i * 2654435761 % 4294967296, i)
  local started = t0 + i * 60
  db:run_begin { id = id, pipeline = "p" .. p, pipeline_version = versions[p], started = started,
    git_commit = ("%040x"):format(i), backend = "local", yaml_path = "pipelines/p" .. p .. ".yaml" }
  local failed = rand() < 0.1
  for k, step in ipairs(steps) do
    local key = ("%064x"):format(i * 8 + k)
    local e = db:execution_begin(id, step, step:gsub("^%l", string.upper), nil, key)
    if k > 1 then db:event_add(e, ("sha256:%063x%d"):format(i, k - 1), "input", "data") end
    if failed and k == #steps then
      db:execution_finish(e, "failed", "the evaluation failed")
    else
      local out = ("sha256:%063x%d"):format(i, k)
      db:artifact_record(out, k == 4 and "model" or "frame", 1000 + k)
      db:event_add(e, out, "output", k == 4 and "model" or "data")
      if k >= 4 then
        db:metric_set(id, e, "accuracy", 0.5 + rand() / 2)
        db:metric_set(id, e, "loss", rand())
      end
      db:execution_finish(e, "completed")
    end
  end
  db:metric_set(id, nil, "seconds", 1 + rand() * 100)
  db:run_finish(id, failed and "failed" or "completed")
end

for first = 1, n, 1000 do
  db:transaction(function()
    for i = first, math.min(first + 999, n) do record(i) end
  end)
end
io.stdout:write(("recorded %d runs\n"):format(n))
