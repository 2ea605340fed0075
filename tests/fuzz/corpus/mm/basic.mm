%%MatrixMarket matrix coordinate real general
% comment
3 8 4
1 3 2.0
3 1 1
1 1 5
2 8 1e0
