-- How soon the Slurm backend sees a job end, on the real one-node cluster:
-- the first polls come within a fraction of a second, so a short job or
-- allocation is not kept waiting for a whole poll_interval (10 s here; each
-- of these runs takes 1 to 3 s on the test cluster, and took 10 s or more
-- when the backend slept poll_interval between every two polls).
local t = require "tests.support"

local STEP = [[
local zenml = require "zenml"
local S = zenml.Step:extend("Nap")
S.inputs = { inp = "value" }
S.outputs = { out = "value" }
function S:run(ctx, inputs)
  os.execute("sleep 0.3")
  return { out = (inputs.inp or 0) + 1 }
end
return S
]]

local function pipeline(backend, training)
  return ([[
local zenml = require "zenml"
local S = require "nap"
local p = zenml.Pipeline { name = "nap"%s }
p:add("a", S {}%s)
p:add("b", S {}, { inp = "a.out" })
p:run()
]]):format(backend and (", backend = " .. backend) or "",
    training and (":with { training = " .. training .. " }") or "")
end

local function now() return tonumber(io.popen("date +%s.%N"):read("l")) end

-- Seconds `zenml run FILE --no-cache` took in `dir` (it must succeed).
local function timed(dir, file)
  local t0 = now()
  local out, err, code = t.zenml_run("run " .. file .. " --no-cache", { cwd = dir })
  assert.equals(0, code, err)
  assert.matches("2 ran", out, 1, true)
  return now() - t0
end

describe("the slurm backend's polls", function()
  after_each(t.cleanup)

  local slow = "zenml.backends.Slurm { poll_interval = 10%s }"

  it("see a short allocation end well before poll_interval", function()
    local dir = t.iris_repo({ ["steps/nap.lua"] = STEP,
      ["a.lua"] = pipeline(slow:format(', mode = "allocation"')) })
    local secs = timed(dir, "a.lua")
    assert.is_true(secs < 8, ("took %.2f s with poll_interval = 10"):format(secs))
  end)

  it("see short jobs end well before poll_interval", function()
    local dir = t.iris_repo({ ["steps/nap.lua"] = STEP, ["j.lua"] = pipeline(slow:format("")) })
    local secs = timed(dir, "j.lua")
    assert.is_true(secs < 8, ("took %.2f s with poll_interval = 10"):format(secs))
  end)

  it("see a short training job end well before poll_interval", function()
    local dir = t.iris_repo({ ["steps/nap.lua"] = STEP,
      ["tr.lua"] = pipeline(nil, slow:format("")) })
    local secs = timed(dir, "tr.lua")
    assert.is_true(secs < 8, ("took %.2f s with poll_interval = 10"):format(secs))
  end)
end)
