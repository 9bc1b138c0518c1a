import os
import requests
BASE_URL = os.environ["BASE_URL"]
session = requests.Session()
session.post(f"{BASE_URL}/api/auth/login", json={
"email": "you@example.com",
"password": "your-password",
})
# session now carries the cookie
resp = session.get(f"{BASE_URL}/api/projects")
print(resp.status_code, resp.json())
