local cli = require "zenml.cli"

local help = {
  usage = "usage: zenml help [COMMAND]\n\nLists the commands, or prints one command's help.",
}

function help.run(args)
  if args[1] == "--commands" or args[1] == nil then
    io.stdout:write(cli.command_list(), "\n")
    return 0
  end
  return cli.main { args[1], "--help" }
end

return help
