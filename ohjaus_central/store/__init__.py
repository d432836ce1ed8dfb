"""The parts CentralStore (ohjaus_central/db.py) is composed of, one per kind of data: devices
and credentials, reference data and the region's files, workers, the change log (push and
pull), callback requests, the access log, and the clients a unit serves. Each part is given the
Database (the engine and the write transaction) and the parts it reads from."""
