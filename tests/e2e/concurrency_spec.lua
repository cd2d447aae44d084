-- Runs that overlap or die: two runs at once on one repository both finish;
-- a run killed with -9 is marked failed by the next command.
local t = require "tests.support"

local SLOW = [[
local zenml = require "zenml"
local Slow = zenml.Step:extend("Slow")
Slow.inputs = { prev = "value" }
Slow.outputs = { out = "value" }
Slow.params = { i = { type = "integer", required = true }, seconds = { type = "number", default = 0 } }
function Slow:run(ctx, inputs)
  if self.params.seconds > 5 then
    io.open("started", "w"):close()
    while true do end
  end
  local deadline = os.clock() + self.params.seconds
  while os.clock() < deadline do end
  return { out = { i = self.params.i, prev = inputs.prev or false } }
end
return Slow
]]

local function pipeline(name, n, seconds)
  return ([[
local zenml = require "zenml"
local Slow = require "slow"
local p = zenml.Pipeline { name = "%s" }
p:add("s1", Slow { i = 1, seconds = %s })
for i = 2, %d do p:add("s" .. i, Slow { i = i }, { prev = "s" .. (i - 1) .. ".out" }) end
p:run()
]]):format(name, seconds, n)
end

local function setup()
  local dir = t.git_repo()
  t.zenml_run("init", { cwd = dir })
  t.write(dir .. "/steps/slow.lua", SLOW)
  t.write(dir .. "/a.lua", pipeline("a", 40, 0.2))
  t.write(dir .. "/b.lua", pipeline("b", 40, 0.2))
  t.sh("git add -A && git commit -qm init", { cwd = dir })
  return dir
end

local function sql(dir, q)
  return (t.sh("sqlite3 .zenml/metadata.db " .. t.q(q), { cwd = dir }))
end

describe("concurrent and interrupted runs", function()
  after_each(t.cleanup)

  it("finishes two runs started at once on one repository", function()
    local dir = setup()
    local z = t.q(t.zenml)
    local _, err, code = t.sh("(" .. z .. " run a.lua > a.out 2>&1 & " .. z
      .. " run b.lua > b.out 2>&1 & wait)", { cwd = dir })
    assert.equals(0, code, err)
    assert.matches("completed: 40 steps", t.slurp(dir .. "/a.out"), 1, true)
    assert.matches("completed: 40 steps", t.slurp(dir .. "/b.out"), 1, true)
    assert.equals("completed|2\n", sql(dir, "SELECT status, count(*) FROM runs GROUP BY status"))
    assert.equals("80\n", sql(dir, "SELECT count(*) FROM executions WHERE status IN ('completed', 'cached')"))
    local out, _, vcode = t.zenml_run("verify", { cwd = dir })
    assert.equals(0, vcode, out)
  end)

  it("finishes two parallel re-runs started at once, all cached", function()
    local dir = setup()
    assert.equals(0, select(3, t.zenml_run("run a.lua -j 2", { cwd = dir })))
    local z = t.q(t.zenml)
    local _, err, code = t.sh("(" .. z .. " run a.lua -j 2 > a.out 2>&1 & " .. z
      .. " run a.lua -j 2 > b.out 2>&1 & wait)", { cwd = dir })
    assert.equals(0, code, err)
    assert.matches("completed: 40 steps, 0 ran, 40 cached", t.slurp(dir .. "/a.out"), 1, true)
    assert.matches("completed: 40 steps, 0 ran, 40 cached", t.slurp(dir .. "/b.out"), 1, true)
    assert.equals("cached|80\ncompleted|40\n",
      sql(dir, "SELECT status, count(*) FROM executions GROUP BY status ORDER BY status"))
  end)

  it("marks a run killed with -9 as failed at the next command", function()
    local dir = setup()
    t.write(dir .. "/hang.lua", pipeline("hang", 3, 60))
    local z = t.q(t.zenml)
    t.sh("(" .. z .. " run hang.lua > hang.out 2>&1 & echo $! > pid)", { cwd = dir })
    local pid = t.slurp(dir .. "/pid"):match("%d+")
    for _ = 1, 400 do
      local f = io.open(dir .. "/started")
      if f then f:close() break end
      os.execute("sleep 0.05")
    end
    assert.equals("running\n", sql(dir, "SELECT status FROM runs"))
    os.execute("kill -9 " .. pid)
    os.execute("sleep 0.2")
    local out = t.zenml_run("run list", { cwd = dir })
    assert.matches("hang%s+failed", out)
    assert.equals("failed\n", sql(dir, "SELECT status FROM executions WHERE step = 's1'"))
    -- nothing that looks like a finished artifact is left half-written
    local v, _, vcode = t.zenml_run("verify", { cwd = dir })
    assert.equals(0, vcode, v)
  end)
end)
