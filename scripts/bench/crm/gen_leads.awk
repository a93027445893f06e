# Deterministic lead CSV for the import benchmark (awk -v rows=N -v people=P).
# Row i (taken in a scrambled order, so duplicates are spread through the
# file) is person (i mod people) scrambled: the first `people` rows are each
# person once, the rest repeat earlier people with the email in other case and
# the phone in national format (the dedupe must normalise both). Every 97th
# row has a bad phone and is rejected.
BEGIN {
	if (rows == "") rows = 200000
	if (people == "") people = 180000
	split("new,contacted,qualified,nurturing", status, ",")
	split("website,referral,portal,Open house,social", source, ",")
	print "First Name,Last Name,Email,Phone,Status,Source,Postal Code,Budget Min Cents,Budget Max Cents"
	for (j = 0; j < rows; j++) {
		i = (j * 104729) % rows
		p = ((i % people) * 7919) % people
		exch = 220 + int(p / 10000)
		line = sprintf("%04d", p % 10000)
		email = "person" p "@bench.example.com"
		phone = "+1415" exch line
		if (i >= people) {
			email = "Person" p "@Bench.Example.com"
			phone = "(415) " exch "-" line
		}
		if (j % 97 == 0) phone = "12"
		printf "First%d,Last%d,%s,%s,%s,%s,%05d,%d,%d\n", p, p, email, phone, status[1 + p % 4], source[1 + p % 5], 94000 + p % 200, 30000000 + (p % 50) * 1000000, 60000000 + (p % 50) * 1000000
	}
}
