package deps

import _ "github.com/getkin/kin-openapi/openapi3filter"
