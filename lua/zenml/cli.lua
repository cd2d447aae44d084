--- The command table behind `zenml COMMAND ...`. A new command is a module
--- `zenml.commands.<name>` returning `{ run = function(args) ... end }` plus
--- one line in `commands` below; no C is involved.
local cli = {}

local errors = require "zenml.errors"
require("zenml.modules").install()

--- name -> one-line summary; the module is zenml.commands.<name>
local commands = {
  { "help", "list the commands, or show one command's help" },
  { "init", "set up .zenml/ in the current git repository" },
  { "run", "run a pipeline (script or YAML); list, show, compare, logs, wait, cancel runs" },
  { "pipeline", "list pipelines, show their runs, graph a run" },
  { "report", "write one self-contained HTML page comparing runs, with charts" },
  { "step", "list step classes; exec one step of a recorded pipeline" },
  { "backend", "list orchestrators, training and processing backends" },
  { "config", "list, get or set repository settings" },
  { "artifact", "show or export an artifact" },
  { "datasource", "list, show or commit datasources" },
  { "verify", "re-hash the artifact store and check what the metadata references" },
  { "gc", "remove unreferenced artifacts and stale temporary files" },
  { "metadata", "show the metadata store, or migrate it to another (SQLite, MariaDB)" },
  { "predict", "predict with a run's model, a registered model or an exported bundle" },
  { "model", "register models, move aliases (production, ...), show their history" },
  { "version", "print the version" },
}
cli.commands = commands

local function find(name)
  for _, c in ipairs(commands) do
    if c[1] == name then return c end
  end
end

--- Register a command at run time (for plug-ins and tests).
---@param name string
---@param summary string
function cli.register(name, summary)
  if not find(name) then commands[#commands + 1] = { name, summary } end
end

--- Stop the command with a message for the user (no traceback) and an exit code.
---@param message string
---@param code? integer exit status, 1 by default
function cli.fail(message, code)
  error(errors.new { message = message, code = code or 1 }, 0)
end

-- "; did you mean --status?" for a mistyped option.
local function option_suggestion(a, spec)
  local known = {}
  for _, set in ipairs { spec.flags or {}, spec.options or {}, spec.lists or {} } do
    for name in pairs(set) do known[#known + 1] = (#name == 1 and "-" or "--") .. name end
  end
  table.sort(known)
  return errors.did_you_mean(a:match("^[^=]*"), known)
end

--- Whether `err` is what cli.fail (or errors.user) raised: a message for the
--- user, printed without a traceback.
function cli.is_failure(err)
  return errors.is_user(err)
end

--- Parse `args` against `spec`: spec.flags is a set of boolean options,
--- spec.options a set of options that take a value, spec.lists options that
--- take a value and may be repeated (opts[name] is then the list of values).
--- Returns opts, positionals.
---@param args string[]
---@param spec {flags?: table<string, boolean>, options?: table<string, boolean>, lists?: table<string, boolean>}
---@param usage string shown when the arguments are wrong
function cli.parse(args, spec, usage)
  local opts, pos = {}, {}
  local flags, options, lists = spec.flags or {}, spec.options or {}, spec.lists or {}
  local i = 1
  while i <= #args do
    local a = args[i]
    local name, value = a:match("^%-%-([%w%-]+)=(.*)$")
    name = name or a:match("^%-%-([%w%-]+)$") or a:match("^%-(%a)$")
    if a == "--" then
      table.move(args, i + 1, #args, #pos + 1, pos)
      break
    elseif name and flags[name] then
      opts[name] = true
    elseif name and (options[name] or lists[name]) then
      if value == nil then
        i = i + 1
        value = args[i]
        if value == nil then cli.fail(("option --%s needs a value\n%s"):format(name, usage), 2) end
      end
      if lists[name] then
        opts[name] = opts[name] or {}
        table.insert(opts[name], value)
      else
        opts[name] = value
      end
    elseif a:sub(1, 1) == "-" and #a > 1 then
      cli.fail(("unknown option '%s'%s\n%s"):format(a, option_suggestion(a, spec), usage), 2)
    else
      pos[#pos + 1] = a
    end
    i = i + 1
  end
  return opts, pos
end

--- Stop with "unknown action 'X'" and a suggestion of a close one (or, when
--- none is close, the command's actions) and the usage, exit 2.
---@param action string|nil
---@param actions string[] the command's actions
---@param usage string
function cli.unknown_action(action, actions, usage)
  local hint = errors.did_you_mean(tostring(action), actions)
  if hint == "" then hint = "; actions are: " .. table.concat(actions, ", ") end
  cli.fail(("unknown action '%s'%s\n%s"):format(tostring(action), hint, usage), 2)
end

--- Refuse --json for an action whose output is not a record (exit 2, one line).
---@param opts table parsed options
---@param what string the action, e.g. "run logs"
---@param prints string what it prints instead
function cli.no_json(opts, what, prints)
  if opts.json then cli.fail(("%s prints %s; --json is not supported"):format(what, prints), 2) end
end

--- The Repository of the current folder, or fail with a message for the user.
function cli.repo()
  local repo, err = require("zenml.repo").open()
  if not repo then cli.fail(err) end
  return repo
end

local function command_list()
  local out = { "Commands:" }
  local width = 0
  for _, c in ipairs(commands) do width = math.max(width, #c[1]) end
  for _, c in ipairs(commands) do
    out[#out + 1] = ("  %-" .. width .. "s  %s"):format(c[1], c[2])
  end
  out[#out + 1] = "Run 'zenml COMMAND --help' for a command's options."
  return table.concat(out, "\n")
end
cli.command_list = command_list

local function load_command(name)
  return require("zenml.commands." .. name)
end

local function run_command(name, args)
  local entry = find(name)
  if not entry then
    local names = {}
    for i, c in ipairs(commands) do names[i] = c[1] end
    cli.fail(("unknown command '%s'%s\n%s"):format(name, errors.did_you_mean(name, names),
      command_list()), 2)
  end
  local cmd = load_command(name)
  if args[1] == "--help" or args[1] == "-h" then
    io.stdout:write(cmd.usage or ("usage: zenml " .. name), "\n")
    return 0
  end
  return cmd.run(args) or 0
end

-- `--traceback` is global: taken out wherever it is before `--`, and set in
-- the environment so worker threads and child processes see it too.
local function take_traceback(argv)
  local out = {}
  for i, a in ipairs(argv) do
    if a == "--" then
      table.move(argv, i, #argv, #out + 1, out)
      break
    elseif a == "--traceback" then
      require("zenml._core").sys.setenv("ZENML_TRACEBACK", "1")
    else
      out[#out + 1] = a
    end
  end
  return out
end

--- Entry point for the host: returns the exit status.
---@param argv string[] the words after `zenml`
---@return integer
function cli.main(argv)
  argv = take_traceback(argv)
  local name = argv[1]
  if name == nil then
    io.stdout:write(command_list(), "\n")
    return 0
  end
  local ok, result = xpcall(run_command, errors.capture, name, { table.unpack(argv, 2) })
  if ok then return math.tointeger(result) or 0 end
  return errors.report(result)
end

return cli
