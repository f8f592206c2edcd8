// This file is intentionally empty: kits are built by buildsys from build.rs.
