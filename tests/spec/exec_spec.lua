-- zenml.exec: DAGs of Lua tasks on worker states, failures that skip only
-- what is downstream, events on the caller's thread, Ctrl-C, and map.
local zenml = require "zenml"
local exec = zenml.exec

local T = "tests.spec.exec_tasks."

local function diamond()
  return {
    { name = "load" },
    { name = "left", deps = { "load" } },
    { name = "right", deps = { "load" } },
    { name = "join", deps = { "left", "right" } },
  }
end

local function now()
  return require("zenml._core").sys.clock()
end

describe("zenml.exec.run", function()
  it("runs every node in its own worker state, with args and init", function()
    for _, jobs in ipairs({ 1, 2 }) do
      local res, ok = exec.run {
        nodes = diamond(), jobs = jobs, task = T .. "echo", init = T .. "init",
        args = { left = "L" },
      }
      assert.is_true(ok)
      for _, name in ipairs({ "load", "left", "right", "join" }) do
        local r = res[name]
        assert.equal("completed", r.status)
        -- init saw the same worker index the task was given
        assert.equal(string.format("%s:%s:%d:%d", name, name == "left" and "L" or "-",
          r.worker, r.worker), r.result)
        assert.is_true(r.worker >= 1 and r.worker <= jobs)
        assert.is_true(r.ended >= r.started)
      end
      assert.is_true(res.join.started >= res.left.ended and res.join.started >= res.right.ended)
    end
  end)

  it("fails a node with the task's file and line and skips only what is below it", function()
    for _, jobs in ipairs({ 1, 2 }) do
      local nodes = diamond()
      nodes[#nodes + 1] = { name = "alone" }
      nodes[#nodes + 1] = { name = "after_right", deps = { "right" } }
      local res, ok = exec.run {
        nodes = nodes, jobs = jobs, task = T .. "maybe_fail", args = { left = "fail" },
      }
      assert.is_false(ok)
      assert.equal("failed", res.left.status)
      assert.matches("tests/spec/exec_tasks.lua:%d+: task left was told to fail", res.left.error)
      -- zenml.errors: the only frame of the task's code is the line named
      assert.not_matches("\n", res.left.error)
      assert.is_nil(res.left.result)
      assert.equal("skipped", res.join.status)
      assert.equal("skipped because 'left' failed", res.join.error)
      assert.is_nil(res.join.worker)
      assert.equal("completed", res.load.status)
      assert.equal("completed", res.right.status)
      assert.equal("completed", res.after_right.status)
      assert.equal("completed", res.alone.status)
    end
  end)

  it("accepts nil results and rejects other types", function()
    local res, ok = exec.run {
      nodes = { { name = "n" }, { name = "t" } }, task = T .. "nothing",
    }
    assert.is_true(ok)
    assert.equal("completed", res.n.status)
    assert.is_nil(res.n.result)
    res, ok = exec.run { nodes = { { name = "t" } }, task = T .. "returns_table" }
    assert.is_false(ok)
    assert.matches("^task 'tests.spec.exec_tasks.returns_table' returned a table, "
      .. "expected a string or nil", res.t.error)
  end)

  it("gives the same results on one worker and on two", function()
    local nodes, args = {}, {}
    for i = 1, 60 do
      local deps = {}
      if i > 1 then deps[1] = "n" .. (i * 7 % (i - 1) + 1) end
      if i > 3 then deps[2] = "n" .. (i // 3) end
      nodes[i] = { name = "n" .. i, deps = deps }
      if i % 11 == 0 then args["n" .. i] = "fail" end
    end
    local one = exec.run { nodes = nodes, jobs = 1, task = T .. "maybe_fail", args = args }
    local two = exec.run { nodes = nodes, jobs = 2, task = T .. "maybe_fail", args = args }
    for i = 1, 60 do
      local a, b = one["n" .. i], two["n" .. i]
      assert.equal(a.status, b.status)
      assert.equal(a.result, b.result)
      if a.status ~= "failed" then assert.equal(a.error, b.error) end
    end
  end)

  it("hands each task its dependencies' results, on one worker and on two", function()
    for _, jobs in ipairs({ 1, 2 }) do
      local res = exec.run { nodes = diamond(), jobs = jobs, task = T .. "with_deps" }
      assert.equal("load()", res.load.result)
      assert.equal("left(load=load())", res.left.result)
      assert.equal("join(left=left(load=load()),right=right(load=load()))", res.join.result)
    end
  end)

  it("runs a function task in the calling state, skipping below a failure", function()
    local seen, in_caller = {}, {}
    local res, ok = exec.run {
      nodes = { { name = "a" }, { name = "b", deps = { "a" } }, { name = "c", deps = { "b" } },
        { name = "d" } },
      task = function(name, arg, worker, deps)
        seen[#seen + 1] = name
        in_caller[name] = worker == 1 and arg == nil
        if name == "b" then error("b broke") end
        return name .. ":" .. (deps.a or "")
      end,
    }
    assert.is_false(ok)
    -- upvalues of the caller are shared: the task ran here, not in a worker state
    assert.same({ "a", "b", "d" }, seen)
    assert.same({ a = true, b = true, d = true }, in_caller)
    assert.equal("a:", res.a.result)
    assert.equal("failed", res.b.status)
    assert.matches("b broke", res.b.error)
    assert.equal("skipped", res.c.status)
    assert.equal("skipped because 'b' failed", res.c.error)
    assert.equal("d:", res.d.result)
    local ok2, err = pcall(exec.run, { nodes = { { name = "a" } }, jobs = 2, task = print })
    assert.is_false(ok2)
    assert.matches("zenml.exec.run: a task given as a function runs in the calling state: "
      .. "jobs must be 1, got 2", err, 1, true)
  end)

  it("calls on_event on the caller's thread in order", function()
    local seen = {}
    exec.run {
      nodes = diamond(), task = T .. "echo",
      on_event = function(ev) seen[#seen + 1] = ev.kind .. ":" .. ev.node .. ":" .. ev.status end,
    }
    assert.same({
      "start:load:running", "done:load:completed", "start:left:running", "done:left:completed",
      "start:right:running", "done:right:completed", "start:join:running", "done:join:completed",
    }, seen)
    local count = 0
    exec.run {
      nodes = diamond(), jobs = 2, task = T .. "echo",
      on_event = function(ev)
        count = count + 1
        assert(type(ev.time) == "number")
      end,
    }
    assert.equal(8, count)
  end)

  it("stops starting nodes when on_event returns false", function()
    local res, ok = exec.run {
      nodes = diamond(), task = T .. "echo",
      on_event = function(ev) if ev.kind == "done" then return false end end,
    }
    assert.is_false(ok)
    assert.equal("completed", res.load.status)
    assert.equal("cancelled", res.left.status)
    assert.equal("cancelled", res.join.status)
    assert.equal("cancelled", res.join.error)
  end)

  it("raises an error from on_event after the workers stopped", function()
    local ok, err = pcall(exec.run, {
      nodes = diamond(), jobs = 2, task = T .. "echo",
      on_event = function() error("hook broke") end,
    })
    assert.is_false(ok)
    assert.matches("exec_spec.lua:%d+: hook broke", err)
    assert.is_true((exec.run { nodes = diamond(), task = T .. "echo" }).join.status == "completed")
  end)

  it("raises 'interrupted' on Ctrl-C once the running node finished", function()
    local nodes = {}
    -- long enough (seconds) that the signal always lands inside the run
    for i = 1, 400 do nodes[i] = { name = "n" .. i, deps = i > 1 and { "n" .. (i - 1) } or {} } end
    local pid = require("zenml._core").sys.getpid()
    local args = {}
    for i = 1, 400 do args["n" .. i] = "1000000" end
    local started = false
    local ok, err = pcall(exec.run, {
      nodes = nodes, jobs = 1, task = T .. "burn", args = args,
      on_event = function()
        if not started then
          started = true
          os.execute("(sleep 0.1; kill -INT " .. pid .. ") &")
        end
      end,
    })
    assert.is_false(ok)
    assert.equal("interrupted", err)
    assert.is_true((exec.run { nodes = diamond(), task = T .. "echo" }).join.status == "completed")
  end)

  it("rejects bad graphs and options with exact messages", function()
    local function run(opts)
      opts.task = opts.task or T .. "echo"
      return exec.run(opts)
    end
    assert.has_error(function() exec.run("x") end,
      "zenml.exec.run: argument 1 (opts): expected table, got string")
    assert.has_error(function() run { nodes = "a" } end,
      "zenml.exec.run: nodes must be a list of {name=, deps=} tables, got string")
    assert.has_error(function() run { nodes = { 1 } } end,
      "zenml.exec.run: node 1 must be a table {name=, deps=}, got number")
    assert.has_error(function() run { nodes = { {} } } end,
      "zenml.exec.run: node 1 needs a string name, got nil")
    assert.has_error(function() run { nodes = { { name = "a" }, { name = "b" }, { name = "a" } } } end,
      "zenml.exec.run: duplicate node name 'a' (nodes 1 and 3)")
    assert.has_error(function() run { nodes = { { name = "a", deps = { "x" } } } } end,
      "zenml.exec.run: node 'a' depends on unknown node 'x'")
    assert.has_error(function() run { nodes = { { name = "a", deps = "b" } } } end,
      "zenml.exec.run: deps of node 'a' must be a list of node names, got string")
    assert.has_error(function() run { nodes = { { name = "a", deps = { "a" } } } } end,
      "zenml.exec.run: node 'a' depends on itself")
    assert.has_error(function()
      run { nodes = { { name = "x" }, { name = "a", deps = { "c", "x" } }, { name = "b", deps = { "a" } },
        { name = "c", deps = { "b" } } } }
    end, "zenml.exec.run: cycle: a -> b -> c -> a")
    assert.has_error(function() run { nodes = {}, task = "nodot" } end,
      "zenml.exec.run: task must be \"module.function\", got 'nodot'")
    assert.has_error(function() run { nodes = {}, task = 42 } end,
      "zenml.exec.run: task must be \"module.function\", got number")
    assert.has_error(function() run { nodes = {}, init = "a..b" } end,
      "zenml.exec.run: init must be \"module.function\", got 'a..b'")
    assert.has_error(function() run { nodes = {}, jobs = 0 } end,
      "zenml.exec.run: jobs must be a positive integer, got 0")
    assert.has_error(function() run { nodes = {}, jobs = 1.5 } end,
      "zenml.exec.run: jobs must be a positive integer, got 1.5")
    assert.has_error(function() run { nodes = { { name = "a" } }, args = { b = "x" } } end,
      "zenml.exec.run: args names unknown node 'b'")
    assert.has_error(function() run { nodes = { { name = "a" } }, args = { a = 1 } } end,
      "zenml.exec.run: args['a'] must be a string, got number")
    assert.has_error(function() run { nodes = {}, on_event = "x" } end,
      "zenml.exec.run: on_event must be a function, got string")
  end)

  it("raises when a worker cannot load the task", function()
    local ok, err = pcall(exec.run, { nodes = { { name = "a" } }, task = "no_such_module.f" })
    assert.is_false(ok)
    assert.matches("^.-zenml.exec.run: worker 1: module 'no_such_module' not found", err)
    ok, err = pcall(exec.run, { nodes = { { name = "a" } }, task = T .. "missing" })
    assert.is_false(ok)
    assert.matches("zenml.exec.run: worker 1: task 'tests.spec.exec_tasks.missing' is a nil, "
      .. "expected a function", err, 1, true)
    local res = exec.run { nodes = {}, task = T .. "echo" }
    assert.same({}, res)
  end)

  it("runs CPU-bound Lua tasks at the same time on 2 jobs, one after another on 1", function()
    local nodes, args = {}, {}
    for i = 1, 4 do
      nodes[i] = { name = "burn" .. i }
      args["burn" .. i] = "2000000"
    end
    -- Overlapping time spans show the workers ran at once, however loaded the
    -- machine is (speed-ups are bench/'s business: W4). On 2 jobs each task
    -- waits, burning, until another has started: a second worker that takes
    -- long to start (under ASan) must still overlap with the first.
    local meet = os.tmpname()
    os.remove(meet)
    assert(os.execute("mkdir '" .. meet .. "'"))
    for _, jobs in ipairs({ 1, 2 }) do
      local task = jobs == 1 and "burn" or "burn_pair"
      if jobs == 2 then
        for i = 1, 4 do args["burn" .. i] = meet end
      end
      local res, ok = exec.run { nodes = nodes, jobs = jobs, task = T .. task, args = args }
      assert.is_true(ok)
      local overlaps, workers = 0, {}
      for a = 1, 4 do
        local ra = res["burn" .. a]
        workers[ra.worker] = true
        for b = a + 1, 4 do
          local rb = res["burn" .. b]
          if math.max(ra.started, rb.started) < math.min(ra.ended, rb.ended) then
            overlaps = overlaps + 1
          end
        end
      end
      if jobs == 1 then
        assert.equal(0, overlaps)
      else
        assert.is_true(overlaps >= 1, "no two tasks ran at the same time on 2 jobs")
        assert.is_true(workers[1] and workers[2])
      end
    end
    os.execute("rm -rf '" .. meet .. "'")
  end)
end)

describe("zenml.exec.map", function()
  it("maps a task over items on worker states", function()
    for _, jobs in ipairs({ 1, 2, 3 }) do
      local out = exec.map { n = 50, jobs = jobs, task = T .. "square" }
      assert.equal(50, #out)
      for i = 1, 50 do assert.equal(tostring(i * i), out[i]) end
    end
    assert.same({}, exec.map { n = 0, task = T .. "square" })
  end)

  it("raises the first error, naming the item and the task's line", function()
    local ok, err = pcall(exec.map, { n = 20, jobs = 2, task = T .. "square", arg = "fail7" })
    assert.is_false(ok)
    assert.matches("zenml.exec.map: item 7: .-tests/spec/exec_tasks.lua:%d+: item seven is bad", err)
    assert.has_error(function() exec.map { n = -1, task = T .. "square" } end,
      "zenml.exec.map: n must be an integer >= 0, got -1")
    assert.has_error(function() exec.map { n = 1, task = "square" } end,
      "zenml.exec.map: task must be \"module.function\", got 'square'")
    assert.has_error(function() exec.map { n = 1, task = T .. "square", arg = {} } end,
      "zenml.exec.map: arg must be a string, got table")
    assert.equal("4", exec.map { n = 2, task = T .. "square" }[2])
  end)
end)
