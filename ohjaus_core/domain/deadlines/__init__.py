"""Region-configurable time limits (määräajat): care guarantee, region promise, assessments.

The limits are data (data/region.toml), not constants: the law (Health Care Act 51 §, Social
Welfare Act 36 §) and each region's own promises differ and change, and a rule may depend on
the date of the contact and on the client's age.

The modules, each name in one of them:
- `rules`: a region's rules as loaded (care guarantee, high-need triggers, callbacks, devices).
- `loading`: reading and checking region.toml (`load_region_rules`).
- `health`: the care guarantee, the region's promise, the care-need assessment, care by urgency.
- `social`: the service-need assessment's limits (Social Welfare Act 36 §), months counted.
- `contact`: every deadline of one contact (`contact_deadlines`) and the day to book by.
"""
