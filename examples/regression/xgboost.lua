-- The same data with gradient-boosted trees, for comparison.
-- Run with: zenml run xgboost.lua
local zenml = require "zenml"
local split = require "zenml.steps.split"
local pre   = require "zenml.steps.preprocesser"
local train = require "zenml.steps.trainer"
local eval  = require "zenml.steps.evaluator"

local p = zenml.pipelines.Training { name = "house-prices-xgb" }
p:add_datasource(zenml.datasources.CSV { name = "houses", path = "data/houses.csv" })
p:add_split(split.Random { split_map = { train = 0.8, eval = 0.2 }, seed = 7 })
p:add_preprocesser(pre.Standard { labels = { "price" } })
p:add_trainer(train.XGBoost { max_depth = 4, eta = 0.1, num_boost_round = 200, seed = 1 })
p:add_evaluator(eval.Regression { slices = { "region" } })
local run = p:run()
local m = run:metrics()
print(run.status, ("r2 %.4f  rmse %.0f  mae %.0f"):format(m.r2, m.rmse, m.mae))
