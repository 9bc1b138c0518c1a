# Create API key
curl -X POST "$BASE_URL/api/auth/api-keys" \
-b cookies.txt \
-H "Content-Type: application/json" \
-d '{"name": "CI Pipeline", "scopes": ["read", "write", "predict"]}'
