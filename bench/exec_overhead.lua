-- The cost of zenml.exec itself, in this process: a worker state and the
-- task module per run, with and without `require "zenml"` in each state, and
-- the scheduling cost per trivial Lua node. Prints numbers; not a test.
-- Run: build/zenml bench/exec_overhead.lua   (from the repository root)
local zenml = require "zenml"
local exec = zenml.exec
local clock = require("zenml._core").sys.clock
package.path = "./?.lua;" .. package.path
local T = "tests.spec.exec_tasks."

local function best_of(n, f)
  local best = math.huge
  for _ = 1, n do
    local t0 = clock()
    f()
    best = math.min(best, clock() - t0)
  end
  return best
end

local per_state = best_of(20, function()
  exec.run { nodes = { { name = "a" } }, task = T .. "nothing" }
end)
local with_zenml = best_of(20, function()
  exec.run { nodes = { { name = "a" } }, task = T .. "nothing", init = T .. "load_zenml" }
end)
local nodes = {}
for i = 1, 500 do nodes[i] = { name = "n" .. i } end
for _, jobs in ipairs({ 1, 2 }) do
  local t = best_of(5, function() exec.run { nodes = nodes, jobs = jobs, task = T .. "nothing" } end)
  print(("exec, 500 trivial Lua nodes, %d job%s: %.1f us per node"):format(jobs,
    jobs == 1 and "" or "s", (t - per_state) / 500 * 1e6))
end
print(("exec: one worker state + task module: %.2f ms (with require \"zenml\" in it: %.2f ms)"):format(
  per_state * 1e3, with_zenml * 1e3))
