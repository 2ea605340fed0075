%%MatrixMarket matrix coordinate integer general
2 8 3
1 1 1
1 1 2
