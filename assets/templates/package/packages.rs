// This file is intentionally empty: packages are built by buildsys from build.rs.
