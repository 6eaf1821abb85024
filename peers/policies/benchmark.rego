# benches/benchmark.rules written in Rego (rego.v1) for the peer engines'
# benchmark (peers/benches/peers.rs). The host evaluates `decision` once per
# facts object (the input document) and reads eligible, route and reasons.
#
# Money comes in as JSON numbers of pounds (1234.56). Rego has no decimal
# type, so every amount is turned into whole pence (an integer) before any
# comparison or arithmetic; the London weighting is then exact integer
# arithmetic, rounded half away from zero as Rulebook does.
package benchmark

import rego.v1

minimum_age := 18

pension_age := 67

# Amounts in pence.
capital_limit := 1600000 # £16,000

capital_review_threshold := 600000 # £6,000

base_allowance := 120000 # £1,200

per_extra_member := 35000 # £350

disability_addition := 40000 # £400

# The London weighting, 1.15, as a fraction.
london_weighting_percent := 115

# An amount of pounds (a JSON number) in whole pence.
pence(pounds) := round(pounds * 100)

income_monthly := pence(input.income_monthly)

savings := pence(input.savings)

disability_allowance := disability_addition if input.has_disability
else := 0

base_limit := (base_allowance + per_extra_member * (input.household_size - 1)) + disability_allowance

# Monthly income limit in pence: £ × 1.15 in London, to the penny, half away
# from zero (round() rounds halves away from zero).
threshold := round((base_limit * london_weighting_percent) / 100) if input.region == "london"
else := base_limit

# The requirements of `eligible`, in file order: each is met or not.
requirements := [
	{"met": input.is_resident, "because": "The claimant must be resident in the UK"},
	{"met": input.age >= minimum_age, "because": "The claimant must be 18 or over"},
	{"met": input.age < pension_age, "because": "The claimant must be under State Pension age (67)"},
	{"met": savings <= capital_limit, "because": "Savings are above the capital limit of £16,000"},
	{"met": input.employment_status != "student", "because": "Full-time students are not eligible"},
	{"met": income_monthly <= threshold, "because": "Monthly income is above the limit for the household"},
]

# The failed requirements' reasons, in file order.
reasons := [r.because | some r in requirements; not r.met]

eligible := count(reasons) == 0

default route := "standard"

route := "reject" if not eligible
else := "specialist" if input.has_disability
else := "capital_review" if savings > capital_review_threshold
else := "self_employed_team" if input.employment_status == "self_employed"
else := "devolved" if input.region in {"scotland", "wales", "northern_ireland"}

decision := {"eligible": eligible, "route": route, "reasons": reasons}
