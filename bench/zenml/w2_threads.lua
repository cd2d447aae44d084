-- W2 with every step on the Threads processing backend (BENCH_WORKERS workers): CSV -> 80/20 random split -> z-score + one-hot -> logistic regression (5 epochs of SGD,
-- no penalty: the same work as the peer's SGDClassifier(max_iter=5)) -> accuracy.
local zenml = require "zenml"
local split = require "zenml.steps.split"
local pre = require "zenml.steps.preprocesser"
local train = require "zenml.steps.trainer"
local eval = require "zenml.steps.evaluator"
local features = {}
for i = 0, 19 do features[#features + 1] = "x" .. i end
features[#features + 1] = "cat"
-- BENCH_SHARDS=K: every step on SlurmArray { shards = K } instead (W2L's array row)
local shards = tonumber(os.getenv("BENCH_SHARDS") or "")
local T = shards and zenml.backends.SlurmArray { shards = shards, cpus = 1, poll_interval = 0.2 }
  or zenml.backends.Threads { workers = tonumber(os.getenv("BENCH_WORKERS")) }
-- the datasource's own processing: its snapshot, taken here, parses on T's workers
local ds = zenml.datasources.CSV { name = "w2", path = "data.csv", processing = T }
local p = zenml.pipelines.Training { name = "w2" }
p:add_datasource(ds)
p:add_split(split.Random { split_map = { train = 0.8, eval = 0.2 }, seed = 42, processing = T })
p:add_preprocesser(pre.Standard { features = features, labels = { "y" }, processing = T })
p:add_trainer(train.Logistic { solver = "sgd", epochs = 5, l2 = 0, seed = 1, processing = T })
p:add_evaluator(eval.Classification { processing = T })
local run = p:run()
print("accuracy", run:metrics().accuracy)
