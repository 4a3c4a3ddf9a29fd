print("facesh")
