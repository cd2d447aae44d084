local cli = require "zenml.cli"
local config = require "zenml.config"
local output = require "zenml.output"

local usage = [[usage: zenml config list [--json]
       zenml config get KEY
       zenml config set KEY VALUE

Reads and changes .zenml/config.yaml. Settings:
]]
for _, k in ipairs(config.keys) do
  usage = usage .. ("  %-18s %s (default %s)\n"):format(k.key, k.doc, tostring(k.default))
end
usage = usage .. ("  %-18s %s\n"):format("backends.NAME.PARAM",
  "parameter PARAM of backend NAME wherever it is chosen by name (zenml backend list)")

local function run(args)
  local opts, pos = cli.parse(args, { flags = { json = true } }, usage)
  local action = pos[1]
  local takes = ({ list = 1, get = 2, set = 3 })[action or "list"]
  if takes and pos[takes + 1] ~= nil then
    cli.fail(("config %s takes %s, got an extra argument '%s'\n%s"):format(action or "list",
      ({ "no arguments", "a KEY", "a KEY and a VALUE" })[takes], pos[takes + 1], usage), 2)
  end
  local repo = cli.repo()
  local path = repo.root .. "/.zenml/config.yaml"
  if action == "list" or action == nil then
    local rows = {}
    for _, k in ipairs(config.keys) do
      rows[#rows + 1] = { key = k.key, value = tostring(config.get(repo.config, k.key)) }
    end
    for _, b in ipairs(config.backend_settings(repo.config)) do
      local v = type(b.value) == "table" and table.concat(b.value, ",") or tostring(b.value)
      rows[#rows + 1] = { key = b.key, value = v }
    end
    output.list(opts, rows, { "key", "value" })
  elseif action == "get" then
    cli.no_json(opts, "config get", "a value as text")
    if not pos[2] then cli.fail("config get needs a KEY\n" .. usage, 2) end
    local _, err = config.parse_value(pos[2], "x", repo.root)
    if err and (err:match("^unknown setting") or err:match("^unknown backend")
        or err:match("has no parameter")) then
      cli.fail(err, 2)
    end
    io.stdout:write(tostring(config.get(repo.config, pos[2])), "\n")
  elseif action == "set" then
    cli.no_json(opts, "config set", "nothing")
    if not pos[2] or not pos[3] then cli.fail("config set needs a KEY and a VALUE\n" .. usage, 2) end
    local v, err = config.parse_value(pos[2], pos[3], repo.root)
    if v == nil then cli.fail(err, 2) end
    if pos[2] == "stores.metadata" and config.is_server(v) then
      -- reach the server (and make the schema there) before the config names it
      local db, oerr = require("zenml.meta").open(v, "create")
      if not db then cli.fail(oerr) end
      db:close()
    end
    config.set(repo.config, pos[2], v)
    local f = assert(io.open(path, "wb"))
    f:write(config.format(repo.config))
    f:close()
  else
    cli.unknown_action(action, { "list", "get", "set" }, usage)
  end
  return 0
end

return { usage = usage, run = run }
