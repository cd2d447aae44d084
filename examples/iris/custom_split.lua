-- The same pipeline with the custom split from steps/stratified.lua and a
-- logistic regression, exported as a self-contained bundle.
-- Run with: zenml run custom_split.lua
local zenml = require "zenml"
local Stratified = require "stratified"
local pre    = require "zenml.steps.preprocesser"
local train  = require "zenml.steps.trainer"
local eval   = require "zenml.steps.evaluator"
local deploy = require "zenml.steps.deployer"

local p = zenml.pipelines.Training { name = "iris-stratified" }
p:add_datasource(zenml.datasources.CSV { name = "iris", path = "data/iris.csv" })
p:add_split(Stratified { column = "species", split_map = { train = 0.7, eval = 0.3 }, seed = 7 })
p:add_preprocesser(pre.Standard { labels = { "species" } })
p:add_trainer(train.Logistic {})
p:add_evaluator(eval.Classification { slices = { "species" } })
p:add_deployer(deploy.Export { path = "iris-model.tar.gz" })
local run = p:run()
print(run.status, run:metrics().accuracy)
