# systemd-unit.awk - writes vigild.service for one systemd version.
#
#   awk -v version=N -f systemd-unit.awk vigild.service.in
#
# A line "@since V@Directive=..." is kept (without the marker) when
# systemd N >= V, and is commented out with the version it needs
# otherwise, so the unit says what that systemd does not enforce.  A line
# "@before V@Directive=..." is the older equivalent, kept only when N < V.
# Lines without a marker are copied as they are.
function marker(line, word,    n) {
	n = substr(line, length(word) + 3)
	sub(/@.*/, "", n)
	return n + 0
}
function rest(line) {
	sub(/^@[a-z]+ [0-9]+@/, "", line)
	return line
}
/^@since [0-9]+@/ {
	v = marker($0, "since")
	if (version + 0 >= v)
		print rest($0)
	else
		print "# needs systemd " v " (built for " version "): " rest($0)
	next
}
/^@before [0-9]+@/ {
	if (version + 0 < marker($0, "before"))
		print rest($0)
	next
}
{ print }
