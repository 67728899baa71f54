"""Authentication and authorization of the REST API: JWT access tokens (tokens.py), the policy
every route declares (policies.py), and the routes of tokens and users (routes.py).

Users live in the attendance service (UserService); the gateway holds no state: it asks
attendance to check a login and password, then signs a short-lived token the next requests carry.
"""
