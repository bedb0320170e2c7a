jdbc:postgresql://localhost:5432/test?user=test&password=test
jdbc:sqlserver://sql01.corp.internal:1433;databaseName=hr;user=sa;password=${SA_PASSWORD}
jdbc:mysql://db.internal:3306/shop?user=shop&useSSL=true
jdbc:h2:mem:testdb;DB_CLOSE_DELAY=-1
