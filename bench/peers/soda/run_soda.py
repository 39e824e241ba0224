#!/usr/bin/env python3
"""Peer: bench/suite20.yaml as a Soda Core scan (SodaCL, DuckDB data source).

Opens an in-memory DuckDB connection, registers the Parquet file as the view
`loans` (`CREATE VIEW loans AS SELECT * FROM read_parquet(...)`: nothing is
copied, every query Soda sends reads the file), hands the connection to a Soda
scan with the checks of checks.yml beside this file, and prints each check's
outcome as JSON (see ../common.py). Soda's usage telemetry is switched off
(soda_config.yml). Soda's outcomes are pass / warn / fail
already; a check without an outcome (an error) stops the script.

    venv-soda/bin/python bench/peers/soda/run_soda.py [--data PATH] [--now TIME]
"""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import common  # noqa: E402

import duckdb  # noqa: E402
from soda.common.config_helper import ConfigHelper  # noqa: E402

# Soda's global config from soda_config.yml (no usage telemetry): must come
# before soda.scan is imported, which reads the config at import time.
ConfigHelper.get_instance(str(HERE / "soda_config.yml"))
from soda.scan import Scan  # noqa: E402

a = common.args()

con = duckdb.connect()
con.execute(f"CREATE VIEW loans AS SELECT * FROM read_parquet('{a.data}')")

scan = Scan()
scan.set_scan_definition_name("probity_peer_suite20")
scan.set_data_source_name("duckdb")
scan.add_duckdb_connection(duckdb_connection=con, data_source_name="duckdb")
scan.add_variables({"NOW": a.now.isoformat()})  # what freshness is measured from
scan.add_sodacl_yaml_file(str(HERE / "checks.yml"))
scan.execute()
print(scan.get_logs_text(), file=sys.stderr)
if scan.has_error_logs():
    sys.exit("soda scan logged errors (above)")

passed = {}
for check in scan.get_scan_results()["checks"]:
    outcome = check.get("outcome")
    if outcome not in ("pass", "warn", "fail"):
        sys.exit(f"soda check {check['name']}: no outcome ({outcome})")
    if outcome == "warn" and check["name"] not in common.WARN:
        sys.exit(f"soda check {check['name']} warned but is an error-severity check")
    passed[check["name"]] = outcome == "pass"
common.emit(passed)
