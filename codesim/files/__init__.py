"""Files: the .csim container, symbol files, a scenario's message written to them and read back
(sample, encode, decode), and inspecting an encoded stream."""
