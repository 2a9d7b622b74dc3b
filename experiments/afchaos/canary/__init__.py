"""New-connection checks during a fault: short streams through the service, each on a fresh TCP connection.

The background load keeps one connection per user alive, so a pod that joins the Service during a rollout gets
its traffic only when users reconnect; whether a cold pod is ever reached then depends on timing. New clients
arrive all the time in production, and each of them is routed to whatever the Service lists as ready at that
moment. These checks model them (as Krkn's health checks poll URLs during a scenario):
`probes.start_new_connection_checks` opens one short stream on a new connection every `interval` seconds per worker in
the background, recording each (time, serving pod, HTTP status, outcome) to `chaos/canary.jsonl`;
`probes.new_connections_served` stops them and fails naming every pod that failed a new connection.
"""
