curl "$BASE_URL/api/projects" \
-H "Authorization: Bearer $API_KEY"
