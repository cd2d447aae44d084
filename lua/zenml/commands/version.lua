local zenml = require "zenml"

return {
  usage = "usage: zenml version\n\nPrints the version of zenml.",
  run = function()
    io.stdout:write("zenml ", zenml.version, "\n")
    return 0
  end,
}
