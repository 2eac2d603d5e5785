// Lets known users through.
outcome = nodeState.get("username") ? "true" : "false";
