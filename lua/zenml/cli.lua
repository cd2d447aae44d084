--- The command table behind `zenml COMMAND ...`. A new command is a module
--- `zenml.commands.<name>` returning `{ run = function(args) ... end }` plus
--- one line in `commands` below; no C is involved.
local cli = {}

require("zenml.modules").install()

--- name -> one-line summary; the module is zenml.commands.<name>
local commands = {
  { "help", "list the commands, or show one command's help" },
  { "init", "set up .zenml/ in the current git repository" },
  { "run", "run a pipeline (script or YAML); list, show, logs, explain runs" },
  { "pipeline", "list pipelines, show their runs, graph a run" },
  { "step", "list step classes; exec one step of a recorded pipeline" },
  { "config", "list, get or set repository settings" },
  { "artifact", "show or export an artifact" },
  { "datasource", "list, show or commit datasources" },
  { "verify", "re-hash the artifact store and check what the metadata references" },
  { "gc", "remove unreferenced artifacts and stale temporary files" },
  { "predict", "predict with a run's model or an exported bundle" },
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

local Failure = {}
Failure.__index = Failure
Failure.__tostring = function(f) return f.message end

--- Stop the command with a message for the user (no traceback) and an exit code.
---@param message string
---@param code? integer exit status, 1 by default
function cli.fail(message, code)
  error(setmetatable({ message = message, code = code or 1 }, Failure), 0)
end

--- Whether `err` is what cli.fail raised.
function cli.is_failure(err)
  return getmetatable(err) == Failure
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
      cli.fail(("unknown option '%s'\n%s"):format(a, usage), 2)
    else
      pos[#pos + 1] = a
    end
    i = i + 1
  end
  return opts, pos
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
    io.stderr:write(("zenml: unknown command '%s'\n%s\n"):format(name, command_list()))
    return 2
  end
  local cmd = load_command(name)
  if args[1] == "--help" or args[1] == "-h" then
    io.stdout:write(cmd.usage or ("usage: zenml " .. name), "\n")
    return 0
  end
  return cmd.run(args) or 0
end

local function handler(err)
  if getmetatable(err) == Failure then return err end
  local msg = type(err) == "string" and err or
      ("(error object is a %s value)"):format(type(err))
  return debug.traceback(msg, 2)
end

--- Entry point for the host: returns the exit status.
---@param argv string[] the words after `zenml`
---@return integer
function cli.main(argv)
  local name = argv[1]
  if name == nil then
    io.stdout:write(command_list(), "\n")
    return 0
  end
  local ok, result = xpcall(run_command, handler, name, { table.unpack(argv, 2) })
  if ok then return math.tointeger(result) or 0 end
  io.stdout:flush()
  if getmetatable(result) == Failure then
    io.stderr:write("zenml: ", result.message, "\n")
    return result.code
  end
  io.stderr:write("zenml: ", result, "\n")
  return 1
end

return cli
