aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY}
aws_secret_access_key = 0000000000000000000000000000000000000000
checksum = "c+bdUpVA7EFdJq0TheBcO48WhpgqaigqV4xk7Epf"
          aws-secret-access-key: ${{ secrets.AWS_SECRET_ACCESS_KEY }}
aws_secret_access_key =
