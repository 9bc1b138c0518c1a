# Login to get session cookie
curl -X POST "$BASE_URL/api/auth/login" \
-H "Content-Type: application/json" \
-c cookies.txt \
-d '{"email": "you@example.com", "password": "your-password"}'
