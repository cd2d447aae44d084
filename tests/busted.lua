-- Runs busted inside the zenml host, so specs see exactly what a user sees:
-- `require "zenml"` and the C modules behind it.
require "busted.runner" ({ standalone = false })
