"""Files: the .csim container, symbol files, and inspecting an encoded stream."""
