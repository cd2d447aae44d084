-- Train a small neural network on the iris flowers and evaluate it.
-- Run with: zenml run pipeline.lua
local zenml = require "zenml"
local split = require "zenml.steps.split"
local pre   = require "zenml.steps.preprocesser"
local train = require "zenml.steps.trainer"
local eval  = require "zenml.steps.evaluator"

local iris = zenml.datasources.CSV { name = "iris", path = "data/iris.csv" }

local p = zenml.pipelines.Training { name = "iris-ffn" }
p:add_datasource(iris)
p:add_split(split.Random { split_map = { train = 0.7, eval = 0.3 }, seed = 42 })
p:add_preprocesser(pre.Standard { features = { "sepal_length", "sepal_width",
  "petal_length", "petal_width" }, labels = { "species" } })
p:add_trainer(train.FeedForward { seed = 1 })
p:add_evaluator(eval.Classification { slices = { "species" } })
local run = p:run()
print(run.status, run:metrics().accuracy)
