--- The Data pipeline: datasource -> statistics -> schema.
local zenml = require "zenml"

local Data = zenml.Pipeline:extend("Data")

function Data:validate()
  if not self.by_name.datasource then
    require("zenml.errors").user("Data pipeline '%s' needs a datasource: call p:add_datasource(...)", self.name)
  end
  if not self.by_name.statistics then
    local st = require "zenml.steps.statistics"
    self:add("statistics", st.Statistics {}, { data = "datasource.data" })
    self:add("schema", st.Schema {}, { data = "datasource.data" })
  end
  return zenml.Pipeline.validate(self)
end

return Data
