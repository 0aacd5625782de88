"""Ray Serve applications: the /api/v1 ingress and the policy servers (issues 3 and 5)."""
