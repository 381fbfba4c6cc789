#!/bin/bash
# forward_e2e with a 3-second outage, for make check (under a minute).
# The full test, with the 60-second outage: forward_e2e.sh 60
exec "$(dirname "$0")/forward_e2e.sh" 3
