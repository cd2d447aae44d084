--- `zenml predict RUN|MODEL|BUNDLE data.csv [-o out.csv]`: predictions of a
--- training run's model (after its fitted transform), of a registered model
--- version (NAME@VERSION, NAME@ALIAS), or of an exported bundle, on a CSV file. Both go through zenml.steps.inferrer.predict, as
--- the BatchInference pipeline does.
local cli = require "zenml.cli"

local usage = [[usage: zenml predict RUN|MODEL|BUNDLE DATA.csv [-o OUT.csv] [--only-predictions]
           [--model-step NAME] [--transform-step NAME]

Predict with the model of a training run (RUN: an id, a unique prefix of one,
or "latest"; the run's `preprocesser` transform and `trainer` model are used,
in a zenml repository), with a registered model version (MODEL: NAME@VERSION
or NAME@ALIAS, e.g. churn@production; see zenml model) or with a bundle
written by the Export deployer
(BUNDLE: a .tar.gz; no repository needed). An existing file, or an argument
with a '/' or ending in .tar.gz or .tgz, is a BUNDLE; anything else a RUN.

The output is DATA's columns followed by `prediction` and, for classifiers,
one `p_<class>` column per class; as CSV on standard output, or in OUT.csv.
Data whose columns or types differ from the training data is refused with
the columns that differ.

  --only-predictions   leave out DATA's columns
  --model-step NAME    the step whose `model` output to use (default trainer)
  --transform-step NAME  the step whose `transform` output to use (default
                       preprocesser; "none" for a model that reads raw columns)]]

-- The artifact `output` of `step` in `run`, following cached executions.
local function output_of(db, run, step, output)
  for _, e in ipairs(db:executions(run)) do
    if e.step == step and (e.status == "completed" or e.status == "cached") then
      local id = db:outputs(e.id)[output]
      if id then return id end
    end
  end
end

local function from_run(ref, opts)
  local repo = cli.repo()
  local run, err = repo:run(ref)
  if not run then cli.fail(err) end
  local db, store = repo:meta(), repo:store()
  local model_step = opts["model-step"] or "trainer"
  local model_id = output_of(db, run.id, model_step, "model")
  if not model_id then
    cli.fail(("run %s has no completed step '%s' with a `model` output"):format(run.id, model_step))
  end
  local transform
  local tstep = opts["transform-step"] or "preprocesser"
  if tstep ~= "none" then
    local tid = output_of(db, run.id, tstep, "transform")
    if not tid then
      cli.fail(("run %s has no completed step '%s' with a `transform` output (--transform-step none for a model without one)")
        :format(run.id, tstep))
    end
    transform = assert(store:read(tid))
  end
  return assert(store:read(model_id)), transform
end

-- A registered version's model and transform (NAME@VERSION or NAME@ALIAS).
local function from_registry(ref, opts)
  if opts["model-step"] or opts["transform-step"] then
    cli.fail(("predict: --model-step and --transform-step are for a RUN; %s names a registered "
      .. "version, which knows its own"):format(ref), 2)
  end
  local repo = cli.repo()
  local v, err = require("zenml.registry").resolve(repo:meta(), ref)
  if not v then cli.fail(err) end
  local store = repo:store()
  return assert(store:read(v.model_artifact)),
    v.transform_artifact and assert(store:read(v.transform_artifact)) or nil
end

local function from_bundle(path)
  local b, err = require("zenml.steps.deployer").read(path)
  if not b then cli.fail(err) end
  return b.model, b.transform
end

local ENOENT = 2 -- io.open's error number for a missing file (POSIX)

-- Whether SOURCE names a bundle: an existing file always does (a folder does
-- not), and so does an argument that looks like a path (a '/' in it, or a
-- .tar.gz/.tgz name), which must then exist; anything else is a RUN.
local function is_bundle(source)
  local f, err, errno = io.open(source, "rb")
  if f then
    local _, rerr = f:read(1)
    f:close()
    if not rerr then return true end
  end
  if source:find("/", 1, true) or source:match("%.tar%.gz$") or source:match("%.tgz$") then
    if not f and errno == ENOENT then cli.fail(("%s: no such file"):format(source)) end
    cli.fail(("%s: not a bundle file (%s)"):format(source, f and "a folder" or err))
  end
  return false
end

local function write(out, path)
  if path then
    local ok, err = out:to_csv(path)
    if not ok then cli.fail(err) end
    io.stderr:write(("wrote %d predictions to %s\n"):format(out:nrow(), path))
    return
  end
  local tmp = os.tmpname()
  local ok, err = out:to_csv(tmp)
  if not ok then os.remove(tmp) cli.fail(err) end
  local f = assert(io.open(tmp, "rb"))
  io.stdout:write(f:read("a"))
  f:close()
  os.remove(tmp)
end

local function run(args)
  local opts, pos = cli.parse(args, { flags = { ["only-predictions"] = true },
    options = { o = true, output = true, ["model-step"] = true, ["transform-step"] = true } }, usage)
  local source, data_path = pos[1], pos[2]
  if pos[3] then
    cli.fail(("predict takes RUN|MODEL|BUNDLE and DATA.csv, got an extra argument '%s'\n%s"):format(pos[3], usage), 2)
  end
  if not source or not data_path then cli.fail(usage, 2) end
  local model, transform
  if is_bundle(source) then
    model, transform = from_bundle(source)
  elseif require("zenml.registry").is_ref(source) then
    model, transform = from_registry(source, opts)
  else
    model, transform = from_run(source, opts)
  end
  local data, err = require("zenml.frame").read_csv(data_path)
  if not data then cli.fail(err) end
  local predict = require("zenml.steps.inferrer").predict
  local ok, out = pcall(predict, model, transform, data, not opts["only-predictions"])
  if not ok then cli.fail(("predict: %s"):format(tostring(out))) end
  write(out, opts.o or opts.output)
  return 0
end

return { usage = usage, run = run }
