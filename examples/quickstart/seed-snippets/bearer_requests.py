import os
import requests
BASE_URL = os.environ["BASE_URL"]
headers = {"Authorization": f"Bearer {os.environ['API_KEY']}"}
resp = requests.get(f"{BASE_URL}/api/projects", headers=headers)
projects = resp.json()
print(resp.status_code, projects)
