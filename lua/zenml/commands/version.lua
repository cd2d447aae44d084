local cli = require "zenml.cli"
local zenml = require "zenml"

local usage = "usage: zenml version [--json]\n\nPrints the version of zenml ({\"version\": ...} with --json)."

return {
  usage = usage,
  run = function(args)
    local opts, pos = cli.parse(args, { flags = { json = true } }, usage)
    if pos[1] then cli.fail(("version takes no arguments, got '%s'\n%s"):format(pos[1], usage), 2) end
    if opts.json then
      require("zenml.output").json { version = zenml.version }
    else
      io.stdout:write("zenml ", zenml.version, "\n")
    end
    return 0
  end,
}
