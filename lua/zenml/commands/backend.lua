local cli = require "zenml.cli"
local output = require "zenml.output"

local usage = [[usage: zenml backend list [--json]

list: the built-in backends (local, parallel, slurm, slurm_array, threads) and those in the
repository's backends/ folder: name, class, module, the roles each can play
(orchestrator, processing, training) and their parameters (with --json an
object: name -> {type, default, required, values}). A pipeline chooses its
orchestrator with `backend = NAME` or `--backend NAME`, a step where it runs
with `training = ...` or `processing = ...`; `zenml config set
backends.NAME.PARAM VALUE` sets a parameter wherever NAME is chosen by name.]]

local function list(opts)
  local backend = require "zenml.backend"
  local params = require "zenml.params"
  local repo = require("zenml.repo").open()
  local root = repo and repo.root
  local rows = {}
  for _, name in ipairs(backend.names(root)) do
    local ok, cls = pcall(backend.class_named, name, root)
    if ok then
      local roles = {}
      for _, r in ipairs(backend.roles) do
        if cls.roles[r] then roles[#roles + 1] = r end
      end
      rows[#rows + 1] = { name = name, class = cls.__name, module = cls.__module,
        origin = backend.builtin[name] and "built-in" or "repository",
        roles = opts.json and roles or table.concat(roles, ","),
        params = opts.json and params.records(cls) or params.summary(cls) }
    else
      io.stderr:write(("zenml: warning: backend '%s' does not load: %s\n"):format(name,
        tostring(cls):gsub("^zenml: ", "")))
    end
  end
  output.list(opts, rows, { "name", "class", "module", "origin", "roles", "params" })
  return 0
end

local function run(args)
  local opts, pos = cli.parse(args, { flags = { json = true } }, usage)
  if pos[1] == "list" or pos[1] == nil then
    if pos[2] then cli.fail(("backend list takes no arguments, got '%s'\n%s"):format(pos[2], usage), 2) end
    return list(opts)
  end
  cli.unknown_action(pos[1], { "list" }, usage)
end

return { usage = usage, run = run }
