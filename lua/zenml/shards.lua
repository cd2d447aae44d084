--- A step's `map`/`reduce` hooks over its input frame cut into blocks of
--- rows (docs/steps.md, "Sharding: map and reduce"). The blocks are fixed by
--- the step (`shard_rows`, default 65536 rows), never by the worker count, and
--- the parts go to `reduce` in block order: 1, 2 or 7 workers give the same
--- outputs. With more than one worker the blocks run in worker Lua states
--- (zenml.exec.map) or as the tasks of a Slurm job array (SlurmArray), whose
--- parts a job of their own combines (M.reduce_job).
---
--- Each block that ends well leaves a record in the step's shard folder,
--- `.zenml/shards/<cache key>-<rows>/`: `<i>.json` (its time, log and part)
--- and its frame part as `<sha256>.zmf`, named by its content. A run of the
--- step after one shard failed (a retry, or the next `zenml run`) takes the
--- blocks already done from there and runs only the others; the folder goes
--- when the step completes.
local core = require "zenml._core"
local json = require "zenml.json"

local M = {}

M.DEFAULT_ROWS = 65536

--- The shard folder of a step whose cache key is `key`, cut in blocks of
--- `rows` rows.
function M.folder(repo, key, rows)
  return ("%s/.zenml/shards/%s-%d"):format(repo.root, key:gsub("^sha256:", ""), rows)
end

-- What one shard's map returned, as text: a frame is written to `dir`
-- (named by its content when `dir` is a shard folder).
local function encode_part(part, dir, i)
  local frame = require "zenml.frame"
  if frame.is_frame(part) then
    local tmp = ("%s/.part-%d.tmp-%d"):format(dir, i, core.sys.getpid())
    assert(part:write(tmp))
    local sha = assert(core.hash.file(tmp))
    local path = ("%s/%s.zmf"):format(dir, sha)
    assert(os.rename(tmp, path))
    return { frame = path, sha256 = sha, names = part:names(), types = part:types() }
  elseif type(part) == "table" then
    local ok, text = pcall(json.encode, part)
    if not ok then
      return { bad = ("map returned a table JSON cannot hold (%s)"):format(tostring(text)) }
    end
    return { value = text }
  end
  return { bad = ("map returned %s; map must return a frame or a table"):format(
    part == nil and "nothing" or "a " .. type(part)) }
end

-- The shard's context: logging, the run and step, which shard (none:
-- the reduce of all of them in a job of its own).
local function shard_context(base, i, n, first, last)
  local ids = base.ids or (base.input_ids and base:input_ids()) or {}
  local ctx = { repo = base.repo, run_id = base.run_id, step_name = base.step_name,
    processing = base.processing, shard = i, shards = n, rows = { first, last } }
  --- an output that is an artifact already stored (as the step's ctx:existing)
  function ctx.existing(_, id) return setmetatable({ id = id }, require("zenml.context").Existing) end
  --- the stored bytes of another input of the step (a model, say)
  function ctx.input_bytes(_, name)
    return ids[name] and assert(base.repo:store():read(ids[name])) or nil
  end
  function ctx.log(_, ...)
    local parts = table.pack(...)
    for k = 1, parts.n do parts[k] = tostring(parts[k]) end
    io.write(table.concat(parts, "\t", 1, parts.n), "\n")
  end
  function ctx.progress() end
  return ctx
end

-- fn(...) in this state (a block's map, the reduce), capturing what it
-- prints into a text of its own. Returns ok, fn's result or error, seconds,
-- the text.
local function captured(ctx, fn, ...)
  local saved_out, saved_print = io.output(), _G.print
  local log = core.sys.memfile()
  io.output(log)
  _G.print = function(...) ctx:log(...) end
  local t0 = core.sys.clock()
  local ok, res = xpcall(fn, require("zenml.errors").handler, ...)
  local seconds = core.sys.clock() - t0
  io.output(saved_out)
  _G.print = saved_print
  local text = core.sys.memfile_take(log)
  log:close()
  return ok, res, seconds, text
end

-- Run map on block i of `frame` in this state, capturing what it prints.
-- Returns the encoded part (with its time and log).
local function run_block(step, base, frame, i, n, rows, dir)
  local first = (i - 1) * rows + 1
  local last = math.min(i * rows, frame:nrow())
  local chunk = last >= first and frame:slice(first, last) or frame:head(0)
  local ctx = shard_context(base, i, n, first, last)
  local ok, part, seconds, text = captured(ctx, step.map or step.row_map, step, ctx, chunk)
  local enc = ok and encode_part(part, dir, i) or { bad = "map failed: " .. tostring(part) }
  enc.seconds, enc.log, enc.first, enc.last = seconds, text, first, last
  return enc
end

-- Keep block i's part for a later run of the step: its record, written
-- last (a record names a part that is there).
local function keep(dir, i, enc)
  if enc.bad then return end
  assert(core.sys.write_atomic(("%s/%d.json"):format(dir, i), json.encode(enc), tonumber("644", 8)))
end

-- Block i's record in shard folder `dir` as a run left it, else nil.
local function record_of(dir, i)
  local text = require("zenml.sources").read_file(("%s/%d.json"):format(dir, i))
  local enc = text and json.try_decode(text)
  if type(enc) ~= "table" or enc.bad then return nil end
  return enc
end

--- Block i's record in shard folder `dir` when a run of the step left it
--- (its part still there and unchanged), else nil.
function M.kept(dir, i, first, last)
  local enc = record_of(dir, i)
  if not enc or enc.first ~= first or enc.last ~= last then return nil end
  if enc.frame then
    local sha = core.hash.file(enc.frame)
    if sha ~= enc.sha256 then return nil end
  elseif type(enc.value) ~= "string" then
    return nil
  end
  return enc
end

-- Run block i of `frame` on `worker` and keep its part; the encoded part.
local function run_and_keep(step, base, frame, i, n, rows, dir, worker)
  local enc = run_block(step, base, frame, i, n, rows, dir)
  enc.worker = worker
  keep(dir, i, enc)
  return enc
end

-- What a process other than the step's needs to run the reduce of a shard
-- spec (a job array's reduce job): the step and the shard context's base,
-- loaded from the run's YAML.
local function load_step(spec)
  local repo = assert(require("zenml.repo").open())
  local doc = require("zenml.engine.doc").load(repo.root .. "/" .. spec.yaml)
  require("zenml.sources").install_pins(repo, doc.sources)
  local step = require("zenml.engine.classes").instantiate(doc, spec.step)
  return step, { repo = repo, run_id = doc.run_id, step_name = spec.step, ids = spec.ids,
    processing = { name = spec.backend, workers = spec.workers } }
end

-- ... and to run its blocks (a worker state, a job array's task): the
-- step, its input frame and the shard context's base.
local function load_spec(spec)
  local step, base = load_step(spec)
  return step, assert(require("zenml.frame").read(spec.input)), base
end

--- Run the blocks `blocks` of a shard spec (what M.run hands a processing
--- backend) in this process, one after another: a job array's task runs
--- its share this way (`zenml step shard`). Returns the encoded parts by
--- block, with `worker`.
function M.run_blocks(spec, blocks, worker_name)
  local step, frame, base = load_spec(spec)
  local out = {}
  for _, i in ipairs(blocks) do
    out[i] = run_and_keep(step, base, frame, i, spec.n, spec.rows, spec.dir, worker_name)
  end
  return out
end

-- Worker side: the step and its input, loaded once per worker state.
local worker = {}

--- A zenml.exec.map task: block i of the step's input in a worker state.
function M.worker(i, arg, w)
  local a = json.try_decode(arg)
  if worker.key ~= arg then
    worker.key = arg
    worker.step, worker.frame, worker.base = load_spec(a)
  end
  return json.encode(run_and_keep(worker.step, worker.base, worker.frame, a.blocks[i], a.n, a.rows,
    a.dir, w))
end

-- The input frame a step's map takes: `shard_input`, else its only frame input.
local function input_of(step, inputs)
  local name = step.shard_input
  if not name then
    local spec, frames = step:input_spec(), {}
    for k, t in pairs(spec) do
      if require("zenml.step").parse_type(t) == "frame" and require("zenml.frame").is_frame(inputs[k]) then
        frames[#frames + 1] = k
      end
    end
    table.sort(frames)
    if #frames ~= 1 then
      error(("%s defines map, so it shards one frame input by rows; it has %d (%s): set "
        .. "shard_input = \"NAME\" on the class"):format(step:class_name(), #frames,
        table.concat(frames, ", ")), 0)
    end
    name = frames[1]
  end
  local f = inputs[name]
  if not require("zenml.frame").is_frame(f) then
    error(("%s: shard_input '%s' is not a frame input of this step"):format(step:class_name(),
      tostring(name)), 0)
  end
  return name, f
end

-- A part back in this state; errors name the shard.
local function decode_part(enc, i, n, first)
  local where = ("shard %d of %d (rows %d-%d)"):format(i, n, enc.first, enc.last)
  if enc.bad then error(("%s: %s"):format(where, enc.bad), 0) end
  if first and (first.value == nil) ~= (enc.value == nil) then
    error(("%s: map returned a %s; shard 1 returned a %s"):format(where,
      enc.value and "table" or "frame", first.value and "table" or "frame"), 0)
  end
  if enc.value then return json.try_decode(enc.value) end
  local first_frame = first
  local names = table.concat(enc.names, ", ")
  if first_frame then
    local want = table.concat(first_frame.names, ", ")
    local same = names == want and table.concat(enc.types, ",") == table.concat(first_frame.types, ",")
    if not same then
      error(("%s: map returned a frame with columns %s; shard 1 returned %s"):format(where,
        names, want), 0)
    end
  end
  return assert(require("zenml.frame").read(enc.frame))
end

--- The default reduce: the parts (frames) one after another, as the step's
--- only output.
function M.default_reduce(step, parts)
  local out = step:output_spec()
  local names = {}
  for k in pairs(out) do names[#names + 1] = k end
  if #names ~= 1 or require("zenml.step").parse_type(out[names[1]]) ~= "frame" then
    error(("%s defines map but not reduce; the default reduce stacks frames into the step's "
      .. "one frame output, and this step declares %d output(s)"):format(step:class_name(), #names), 0)
  end
  local frame = require "zenml.frame"
  for i, p in ipairs(parts) do
    if not frame.is_frame(p) then
      error(("%s defines map but not reduce; shard %d returned a table, which needs a reduce")
        :format(step:class_name(), i), 0)
    end
  end
  return { [names[1]] = M.stack(parts) }
end

--- Frame parts one after another, in order: the first, grown.
function M.stack(parts)
  local whole = parts[1]
  for i = 2, #parts do whole:append(parts[i]) end
  return whole
end

-- The parts, decoded in block order (the first part sets what the others
-- must be).
local function decode_all(encoded, n)
  local parts = {}
  for i = 1, n do parts[i] = decode_part(encoded[i], i, n, i > 1 and encoded[1] or nil) end
  return parts
end

-- The step's outputs from its parts: its reduce, else the default one.
local function reduce_parts(step, ctx, parts)
  if not step.reduce then return M.default_reduce(step, parts) end
  local ok, res = xpcall(step.reduce, require("zenml.errors").handler, step, ctx, parts)
  if not ok then error(("reduce of %d shards failed: %s"):format(#parts, tostring(res)), 0) end
  return res
end

-- Put the outputs a reduce returned in the store: name -> {id, kind}, and
-- the names the step does not declare (its process refuses them as it
-- refuses any step's).
local function put_outputs(step, name, repo, out)
  if type(out) ~= "table" then
    error(("reduce returned %s; reduce must return a table of outputs"):format(type(out)), 0)
  end
  local spec, stepmod = step:output_spec(), require("zenml.step")
  local Existing = require("zenml.context").Existing
  local outputs, undeclared = {}, {}
  for key, v in pairs(out) do
    if spec[key] then
      local kind = stepmod.parse_type(spec[key])
      local id = getmetatable(v) == Existing and v.id or require("zenml.artifacts").put(repo, kind, v,
        ("step '%s' output '%s'"):format(name, key))
      outputs[key] = { id = id, kind = kind }
    else
      undeclared[#undeclared + 1] = tostring(key)
    end
  end
  return { outputs = outputs, undeclared = undeclared }
end

--- A job array's reduce job (`zenml step reduce`): every part of shard spec
--- `spec` read from the step's shard folder in block order, combined as the
--- step's process combines them (`spec.combine`: "reduce", the step's
--- reduce; "stack", a built-in step's frames stacked), the result put in
--- the store, and its ids written to `spec.result` for the step's process:
--- {outputs = {name = {id, kind}}, undeclared} or {frame = id}, with what
--- the reduce printed (`log`) and its time. Raises what went wrong.
function M.reduce_job(spec)
  local step, base
  if spec.combine == "reduce" then step, base = load_step(spec) end
  local repo = base and base.repo or assert(require("zenml.repo").open())
  local encoded = {}
  for i = 1, spec.n do
    encoded[i] = record_of(spec.dir, i)
    if not encoded[i] then
      error(("shard %d of %d has no part in %s"):format(i, spec.n, spec.dir:sub(#repo.root + 2)), 0)
    end
  end
  local parts = decode_all(encoded, spec.n)
  local result
  if spec.combine == "reduce" then
    local ctx = shard_context(base, nil, spec.n, 1, spec.nrow)
    local ok, out, seconds, text = captured(ctx, reduce_parts, step, ctx, parts)
    io.write(text)
    if not ok then error(out, 0) end
    result = put_outputs(step, spec.step, repo, out)
    result.seconds, result.log = seconds, text
  else
    result = { frame = assert(repo:store():put_frame(M.stack(parts))) }
  end
  assert(core.sys.write_atomic(spec.result, json.encode(result), tonumber("644", 8)))
  return result
end

-- The outputs a reduce job put in the store, as the step returns them:
-- frames, trees, files and models by reference; values and metrics (which
-- the step's records and the steps after it read) loaded back.
local function stored_outputs(ctx, result)
  local out = {}
  for name, o in pairs(result.outputs or {}) do
    if o.kind == "frame" or o.kind == "tree" or o.kind == "file" or o.kind == "model" then
      out[name] = ctx:existing(o.id)
    else
      out[name] = require("zenml.artifacts").load(ctx.repo, o.kind, o.id)
    end
  end
  for _, name in ipairs(result.undeclared or {}) do out[name] = true end
  return out
end

-- Remove a shard folder: the parts its records name, the records, itself
-- (a part a killed process left half-written keeps it; gc takes it then).
local function remove_folder(dir, n, encoded)
  for i = 1, n do
    local enc = encoded[i]
    if enc and enc.frame then os.remove(enc.frame) end
    os.remove(("%s/%d.json"):format(dir, i))
  end
  os.remove(dir)
end

-- Run the blocks `missing` where the step's processing backend says: more
-- than one worker thread maps them in worker states; else they run here in
-- order. (A backend with `run_shards`, a job array, takes them in
-- map_blocks.)
local function run_missing(step, ctx, frame, spec, encoded)
  local proc = ctx.processing or { workers = 1 }
  local missing = spec.blocks
  local workers = math.min(proc.workers or 1, #missing)
  if workers <= 1 or not ctx.yaml then
    -- worker states load the step from the run's YAML; without one (a step
    -- run outside a recorded run) the blocks run here, in the same order
    for _, i in ipairs(missing) do
      encoded[i] = run_and_keep(step, ctx, frame, i, spec.n, spec.rows, spec.dir, 1)
    end
  else
    -- the step's timeout holds in the worker states too
    local task, targ = require("zenml.engine.retry").under_deadline("zenml.shards.worker",
      json.encode(spec))
    local texts = require("zenml.exec").map { n = #missing, jobs = workers, task = task, arg = targ }
    for k, i in ipairs(missing) do encoded[i] = json.try_decode(texts[k]) end
  end
  return workers
end

-- Map `frame`'s row blocks (input file `path`, part `tag` of the step's
-- work: a split's name, or nil) and decode the parts in block order.
-- Returns the parts, the shard record, and a function removing the kept
-- parts once they are used. A backend with `run_shards` (a job array) maps
-- the missing blocks and combines every part in jobs of its own (`combine`:
-- "reduce" or "stack", see M.reduce_job): then the parts are nil and a
-- fourth result is what its reduce job stored.
local function map_blocks(step, ctx, frame, path, tag, ids, combine)
  local rows = step.shard_rows or M.DEFAULT_ROWS
  if math.type(rows) ~= "integer" or rows < 1 then
    error(("%s: shard_rows must be an integer >= 1, got %s"):format(step:class_name(), tostring(rows)), 0)
  end
  local n = math.max(1, (frame:nrow() + rows - 1) // rows)
  local proc = ctx.processing or { workers = 1 }
  -- parts are kept for a later run only where a cache key names the work
  local key = ctx.cache_key and (tag and ctx.cache_key .. "-" .. tag or ctx.cache_key)
  local dir = key and M.folder(ctx.repo, key, rows) or ctx:tmpdir()
  assert(core.sys.mkdir_p(dir))
  local encoded, missing = {}, {}
  for i = 1, n do
    local enc = key and M.kept(dir, i, (i - 1) * rows + 1, math.min(i * rows, frame:nrow()))
    if enc then
      enc.reused = true
      encoded[i] = enc
    else
      missing[#missing + 1] = i
    end
  end
  local workers, combined = 1, nil
  local spec = { yaml = ctx.yaml, step = ctx.step_name, tag = tag,
    input = ctx.yaml and path, n = n, rows = rows, nrow = frame:nrow(), dir = dir,
    blocks = missing, ids = ids or (ctx.yaml and ctx:input_ids()),
    backend = proc.name, workers = proc.workers, run_id = ctx.run_id, combine = combine }
  if proc.run_shards and ctx.yaml then
    -- (with every block kept, only the reduce job runs)
    local got
    got, combined = proc.run_shards(spec, ctx.repo)
    for _, i in ipairs(missing) do encoded[i] = got[i] end
    workers = math.max(1, math.min(proc.workers or 1, #missing))
  elseif #missing > 0 then
    workers = run_missing(step, ctx, frame, spec, encoded)
  end
  local record = {}
  local what = tag and ("%s: "):format(tag) or ""
  for i = 1, n do
    local enc = encoded[i]
    record[i] = { rows = enc.last - enc.first + 1, seconds = enc.seconds, worker = enc.worker,
      reused = enc.reused or nil, part = tag }
    if enc.log and enc.log ~= "" then
      io.write(("--- %sshard %d of %d (rows %d-%d)%s ---\n%s"):format(what, i, n, enc.first, enc.last,
        enc.reused and ", kept from an earlier run" or "", enc.log))
    end
  end
  if combined and combined.log and combined.log ~= "" then
    io.write(("--- %sreduce of %d shards ---\n%s"):format(what, n, combined.log))
  end
  local shard_record = { by = "rows", count = n, workers = workers, block_rows = rows, shards = record,
    backend = proc.name, reused = #missing < n and n - #missing or nil }
  local function done() if key then remove_folder(dir, n, encoded) end end
  if combined then return nil, shard_record, done, combined end
  return decode_all(encoded, n), shard_record, done
end

--- Run a step's map over its input's row blocks and reduce the parts.
---@return table outputs
function M.run(step, ctx, inputs)
  local input, frame = input_of(step, inputs)
  local parts, record, done, combined = map_blocks(step, ctx, frame,
    ctx.yaml and ctx:input_path(input), nil, nil, "reduce")
  ctx.shard_record = record
  local out = combined and stored_outputs(ctx, combined) or reduce_parts(step, ctx, parts)
  done()
  return out
end

--- A built-in step's row-local work over `frame` (member `member` of its
--- input `input`: a split) in row blocks of the step's `row_map`, with the
--- extra inputs `ids` (name -> artifact id) its map reads: the blocks'
--- frames stacked in order, the frame of doing it whole (a reference to it
--- in the store, ctx:existing, when a job array's reduce job stacked it).
--- The step's shard record gathers every member's blocks.
function M.map_frame(step, ctx, frame, input, member, ids)
  local all = ctx:input_ids()
  for k, v in pairs(ids or {}) do all[k] = v end
  local path = ctx.yaml and ctx.repo:store():path(ctx._ids[input][member])
  local parts, record, done, combined = map_blocks(step, ctx, frame, path, member, all, "stack")
  local whole = combined and ctx:existing(combined.frame) or M.stack(parts)
  local acc = ctx.shard_record
  if acc then
    acc.count = acc.count + record.count
    acc.workers = math.max(acc.workers, record.workers)
    table.move(record.shards, 1, #record.shards, #acc.shards + 1, acc.shards)
    if record.reused then acc.reused = (acc.reused or 0) + record.reused end
  else
    ctx.shard_record = record
  end
  done()
  return whole
end

return M
