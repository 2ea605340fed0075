%%MatrixMarket matrix coordinate real general
900000000000 8 1
1 1 1
