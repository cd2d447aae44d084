-- Predict house prices with a linear model; metrics overall and per region.
-- Run with: zenml run pipeline.lua
local zenml = require "zenml"
local split = require "zenml.steps.split"
local pre   = require "zenml.steps.preprocesser"
local train = require "zenml.steps.trainer"
local eval  = require "zenml.steps.evaluator"

local houses = zenml.datasources.CSV { name = "houses", path = "data/houses.csv" }

local p = zenml.pipelines.Training { name = "house-prices" }
p:add_datasource(houses)
p:add_split(split.Random { split_map = { train = 0.8, eval = 0.2 }, seed = 7 })
-- numbers are z-scored, `region` (4 values) becomes one-hot columns
p:add_preprocesser(pre.Standard { labels = { "price" } })
p:add_trainer(train.Linear {})
p:add_evaluator(eval.Regression { slices = { "region" } })
local run = p:run()
local m = run:metrics()
print(run.status, ("r2 %.4f  rmse %.0f  mae %.0f"):format(m.r2, m.rmse, m.mae))
