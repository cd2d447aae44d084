-- A small repository for the engine's specs: a -> b -> c, d alone, and a
-- score step with metrics; run through the real CLI.
local zenml = require "zenml"
local t = require "tests.support"

local M = {}

local ADD = [[
local zenml = require "zenml"
local Add = zenml.Step:extend("Add")
Add.inputs = { x = "value" }
Add.outputs = { out = "value" }
Add.params = { n = { type = "number", default = 1 }, fail = { type = "boolean", default = false } }
function Add:run(ctx, inputs)
  if self.params.fail then error("asked to fail") end
  print("adding", self.params.n)
  return { out = (inputs.x or 0) + self.params.n }
end
return Add
]]

local SCORE = [[
local zenml = require "zenml"
local Score = zenml.Step:extend("Score")
Score.inputs = { x = "value" }
Score.outputs = { m = "metrics" }
function Score:run(ctx, inputs)
  return { m = { acc = inputs.x / 10, per = { one = 1 }, split = "eval" } }
end
return Score
]]

local PIPELINE = [[
local zenml = require "zenml"
local Add, Score = require "add", require "score"
local p = zenml.Pipeline { name = "eng" }
p:add("a", Add { n = 1 })
p:add("b", Add { n = 1 }, { x = "a.out" })
p:add("c", Add { n = 1 }, { x = "b.out" })
p:add("d", Add { n = 2 })
p:add("score", Score {}, { x = "c.out" })
p:run()
]]

--- A git repository with the steps committed and `zenml init` done.
function M.repo()
  local dir = t.git_repo()
  os.execute("mkdir -p " .. t.q(dir .. "/steps"))
  t.write(dir .. "/steps/add.lua", ADD)
  t.write(dir .. "/steps/score.lua", SCORE)
  t.write(dir .. "/pipeline.lua", PIPELINE)
  local _, err, code = t.sh("git add -A && git commit -qm steps", { cwd = dir })
  assert(code == 0, err)
  _, err, code = t.zenml_run("init", { cwd = dir })
  assert(code == 0, err)
  return dir
end

--- Run the pipeline with extra arguments; returns the run, stdout, stderr, exit code.
function M.run(dir, args)
  local out, err, code = t.zenml_run("run pipeline.lua " .. (args or ""), { cwd = dir })
  local repo = assert(zenml.repo(dir))
  local run = repo:run("latest")
  return run, out, err, code, repo
end

--- The executions of a run by step name.
function M.by_step(repo, run)
  local out = {}
  for _, e in ipairs(repo:meta():executions(run.id)) do out[e.step] = e end
  return out
end

return M
